/**
 * Content parts of Responses input messages (OpenAI API reference, "Create a
 * model response", input item content: `input_text`, `input_image`,
 * `input_file`) → neutral {@link ContentPart}s, and back for
 * `GET /v1/responses/{id}/input_items`. Mapping only: limits and what a
 * provider takes are checked by the core.
 */
import { ParleyError } from '../../../errors.js';
import type { ContentPart } from '../../../providers/types.js';
import { sourceFromUrl, urlOfSource } from '../../../runs/attachments.js';
import type { CreateResponseBody } from './schemas.js';

type WirePart = Extract<Extract<CreateResponseBody['input'], unknown[]>[number]['content'], unknown[]>[number];

/**
 * One wire part as a neutral part.
 * @param param the part's field (`input.0.content.1`), named in errors.
 * @throws ParleyError `validation_failed` for an unknown type, a `file_id`, or a bad URL.
 */
export function toContentPart(part: WirePart, param: string): ContentPart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return { type: 'text', text: part.text ?? '' };
    case 'input_image':
      if (part.image_url === undefined) {
        throw new ParleyError('validation_failed', `${param}: an input_image needs image_url (https: or data:); Parley keeps no uploaded files for file_id.`, { param });
      }
      return { type: 'image', source: sourceFromUrl(part.image_url, `${param}.image_url`), ...(part.detail === undefined ? {} : { detail: part.detail }) };
    case 'input_file': {
      const url = part.file_data ?? part.file_url;
      if (url === undefined) {
        throw new ParleyError('validation_failed', `${param}: an input_file needs file_data (a data: URL) or file_url; Parley keeps no uploaded files for file_id.`, { param });
      }
      const field = part.file_data === undefined ? 'file_url' : 'file_data';
      return { type: 'file', source: sourceFromUrl(url, `${param}.${field}`), ...(part.filename === undefined ? {} : { filename: part.filename }) };
    }
    default:
      throw new ParleyError('validation_failed', `${param}: content parts of type "${part.type}" are not supported (input_text, input_image, input_file).`, { param });
  }
}

/** A neutral part as a Responses input content part, for input item listings. */
export function inputContentPart(part: ContentPart) {
  switch (part.type) {
    case 'text':
      return { type: 'input_text' as const, text: part.text };
    case 'image':
      return { type: 'input_image' as const, image_url: urlOfSource(part.source), detail: part.detail ?? ('auto' as const) };
    case 'file':
    case 'audio':
      return {
        type: 'input_file' as const,
        ...(part.source.type === 'url' ? { file_url: part.source.url } : { file_data: urlOfSource(part.source) }),
        ...(part.type === 'file' && part.filename !== undefined ? { filename: part.filename } : {}),
      };
  }
}
