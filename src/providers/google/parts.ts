/**
 * Content parts → Gemini parts (https://ai.google.dev/api/caching#Part;
 * vercel/ai `convertToGoogleGenerativeAIMessages`): inline bytes as
 * `inlineData` (base64 as the client sent it), URLs as `fileData` with the
 * media type Gemini requires.
 */
import { ParleyError } from '../../errors.js';
import type { ContentPart, ProviderInputs } from '../types.js';

/** What the Gemini API takes: images, audio and documents, inline or by URL. */
export const GOOGLE_INPUTS: ProviderInputs = { image: true, audio: true, file: true, imageUrl: true, fileUrl: true };

/** A Gemini part carrying text or media. */
export type GoogleMediaPart = { text: string } | { inlineData: { mimeType: string; data: string } } | { fileData: { mimeType: string; fileUri: string } };

/**
 * One part in Gemini's shape.
 * @throws ParleyError `validation_failed` for a URL whose media type is unknown (Gemini needs one).
 */
export function toGooglePart(part: ContentPart, param: string): GoogleMediaPart {
  if (part.type === 'text') return { text: part.text };
  const { source } = part;
  if (source.type === 'base64') return { inlineData: { mimeType: source.mediaType, data: source.data } };
  if (source.mediaType === undefined) {
    throw new ParleyError('validation_failed', `${param}: Gemini needs the media type of a URL; use a URL ending in .png, .jpg, .gif, .webp or .pdf, or send the bytes.`, {
      param,
    });
  }
  return { fileData: { mimeType: source.mediaType, fileUri: source.url } };
}
