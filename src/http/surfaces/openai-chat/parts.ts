/**
 * OpenAI chat content parts (`text`, `image_url`, `input_audio`, `file`; OpenAI
 * API reference, "Create chat completion") → neutral {@link ContentPart}s.
 * Mapping only: limits and what a provider takes are checked by the core.
 */
import { ParleyError } from '../../../errors.js';
import type { ContentPart } from '../../../providers/types.js';
import { base64Source, sourceFromUrl } from '../../../runs/attachments.js';
import type { ChatCompletionBody } from './schemas.js';

type WirePart = Extract<ChatCompletionBody['messages'][number]['content'], unknown[]>[number];

/** OpenAI `input_audio.format` → media type. */
function audioMediaType(format: string): string {
  return format === 'mp3' ? 'audio/mpeg' : `audio/${format}`;
}

/**
 * One wire part as a neutral part.
 * @param param the part's field (`messages.0.content.1`), named in errors.
 * @throws ParleyError `validation_failed` for an unknown type, a missing field, a `file_id`, or a bad URL.
 */
export function toContentPart(part: WirePart, param: string): ContentPart {
  const missing = (field: string) => new ParleyError('validation_failed', `${param} of type "${part.type}" needs ${field}.`, { param: `${param}.${field}` });
  switch (part.type) {
    case 'text':
      if (part.text === undefined) throw missing('text');
      return { type: 'text', text: part.text };
    case 'image_url':
      if (part.image_url === undefined) throw missing('image_url');
      return {
        type: 'image',
        source: sourceFromUrl(part.image_url.url, `${param}.image_url.url`),
        ...(part.image_url.detail === undefined ? {} : { detail: part.image_url.detail }),
      };
    case 'input_audio':
      if (part.input_audio === undefined) throw missing('input_audio');
      return { type: 'audio', source: base64Source(part.input_audio.data, audioMediaType(part.input_audio.format), `${param}.input_audio.data`) };
    case 'file': {
      if (part.file?.file_data === undefined) {
        throw new ParleyError('validation_failed', `${param}: a file part needs file.file_data (a data: URL); Parley keeps no uploaded files for file_id.`, {
          param: `${param}.file`,
        });
      }
      return {
        type: 'file',
        source: sourceFromUrl(part.file.file_data, `${param}.file.file_data`),
        ...(part.file.filename === undefined ? {} : { filename: part.file.filename }),
      };
    }
    default:
      throw new ParleyError('validation_failed', `${param}: content parts of type "${part.type}" are not supported (text, image_url, input_audio, file).`, { param });
  }
}
