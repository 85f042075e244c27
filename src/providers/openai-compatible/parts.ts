/**
 * Content parts: neutral {@link ContentPart}s → OpenAI chat content parts
 * (https://platform.openai.com/docs/api-reference/chat/create, "Content parts":
 * `text`, `image_url`, `input_audio`, `file`). Inline bytes travel as
 * `data:` URLs (images, files) or bare base64 (audio), byte for byte as the
 * client sent them.
 */
import type { ContentPart, ProviderInputs } from '../types.js';

/** An OpenAI chat content part. */
export type UpstreamContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: 'input_audio'; input_audio: { data: string; format: string } }
  | { type: 'file'; file: { file_data: string; filename?: string } };

/**
 * What OpenAI's chat API takes: images inline or by URL, audio and files
 * inline (a `file` part has no URL form). The default of the presets; the
 * generic provider's comes from PARLEY_PROVIDER_INPUTS.
 */
export const OPENAI_INPUTS: ProviderInputs = { image: true, audio: true, file: true, imageUrl: true, fileUrl: false };

/** OpenAI's `input_audio.format` for a media type (`audio/mpeg` → `mp3`, `audio/wav` → `wav`). */
function audioFormat(mediaType: string): string {
  const subtype = mediaType.split('/')[1] ?? mediaType;
  return subtype === 'mpeg' ? 'mp3' : subtype.replace(/^x-/, '');
}

/**
 * One neutral part in OpenAI's shape. A file URL never reaches here: the core
 * refuses it for providers without `fileUrl` (see src/runs/attachments.ts).
 */
export function toUpstreamPart(part: ContentPart): UpstreamContentPart {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const url = part.source.type === 'url' ? part.source.url : `data:${part.source.mediaType};base64,${part.source.data}`;
      return { type: 'image_url', image_url: { url, ...(part.detail === undefined ? {} : { detail: part.detail }) } };
    }
    case 'audio':
      return { type: 'input_audio', input_audio: { data: part.source.data, format: audioFormat(part.source.mediaType) } };
    case 'file': {
      const fileData = part.source.type === 'url' ? part.source.url : `data:${part.source.mediaType};base64,${part.source.data}`;
      return { type: 'file', file: { file_data: fileData, ...(part.filename === undefined ? {} : { filename: part.filename }) } };
    }
  }
}
