/**
 * Content parts → Anthropic content blocks (https://docs.anthropic.com/en/api/messages,
 * "image" and "document" blocks; vercel/ai `convertToAnthropicPrompt`): images as
 * `image` blocks, PDFs as `document` blocks, each with a `base64` source (bytes
 * as the client sent them) or a `url` source Anthropic fetches; plain text files
 * as a `document` with a `text` source. Anthropic takes no audio.
 */
import { ParleyError } from '../../errors.js';
import type { ContentPart, MediaSource, ProviderInputs } from '../types.js';

/** What the Messages API takes: images and PDFs, inline or by URL; no audio. */
export const ANTHROPIC_INPUTS: ProviderInputs = { image: true, audio: false, file: true, imageUrl: true, fileUrl: true };

/** A source of an image or document block. */
export type AnthropicSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'url'; url: string }
  | { type: 'text'; media_type: 'text/plain'; data: string };

/** An `image` or `document` block. */
export type AnthropicMediaBlock = { type: 'image'; source: AnthropicSource } | { type: 'document'; source: AnthropicSource; title?: string };

function source(from: MediaSource): AnthropicSource {
  return from.type === 'url' ? { type: 'url', url: from.url } : { type: 'base64', media_type: from.mediaType, data: from.data };
}

/**
 * One part as a block; text parts as `text` blocks.
 * @throws ParleyError `validation_failed` for audio and for a file that is neither a PDF nor plain text.
 */
export function toAnthropicBlock(part: ContentPart, param: string): { type: 'text'; text: string } | AnthropicMediaBlock {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image':
      return { type: 'image', source: source(part.source) };
    case 'file': {
      const title = part.filename === undefined ? {} : { title: part.filename };
      if (part.source.type === 'base64' && part.source.mediaType === 'text/plain') {
        return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(part.source.data, 'base64').toString('utf8') }, ...title };
      }
      if (part.source.type === 'base64' && part.source.mediaType !== 'application/pdf') {
        throw new ParleyError('validation_failed', `${param}: Anthropic takes PDF and plain-text documents, not ${part.source.mediaType}.`, { param });
      }
      return { type: 'document', source: source(part.source), ...title };
    }
    case 'audio':
      throw new ParleyError('validation_failed', `${param}: Anthropic takes no audio.`, { param });
  }
}
