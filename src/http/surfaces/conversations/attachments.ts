/**
 * Attachments of the conversations API: `POST /conversations/{id}/messages`
 * takes `attachments: [{url, filename?, media_type?}]` (a `data:<type>;base64,…`
 * URL, or an `https:` URL the provider fetches), stored with the message and
 * shown back in `GET /conversations/{id}/messages` in the same shape plus `type`.
 */
import Type from 'typebox';
import type { InputLimits } from '../../../config/types.js';
import type { ContentPart } from '../../../providers/types.js';
import { attachmentPart, sourceFromUrl, urlOfSource } from '../../../runs/attachments.js';
import { partsOf, type Message } from '../../../services/chat.js';

/** The `attachments` field's schema: at most 16, each URL bounded by the message's attachment allowance. */
export function attachmentsSchema(limits: InputLimits) {
  return Type.Array(
    Type.Object({
      url: Type.String({ minLength: 1, maxLength: Math.ceil(limits.attachments.maxMessageBytes / 3) * 4 + 256 }),
      filename: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      media_type: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9.+-]+/[a-zA-Z0-9.+-]+$' })),
    }),
    { maxItems: 16 },
  );
}

/** One attachment as the API takes it. */
export interface AttachmentInput {
  url: string;
  filename?: string;
  media_type?: string;
}

/**
 * Attachments as content parts: `image/*` → image, `audio/*` → audio (inline
 * only), anything else → file.
 * @throws ParleyError `validation_failed` for a bad URL or an audio URL.
 */
export function toAttachmentParts(attachments: readonly AttachmentInput[] | undefined): ContentPart[] {
  return (attachments ?? []).map((attachment, index) => {
    const param = `attachments.${index}`;
    return attachmentPart(sourceFromUrl(attachment.url, `${param}.url`, attachment.media_type?.toLowerCase()), param, attachment.filename);
  });
}

/** A stored message's attachments as the API shows them; none for a text-only message. */
export function attachmentViews(message: Message) {
  return (partsOf(message) ?? []).flatMap((part) =>
    part.type === 'text'
      ? []
      : [
          {
            type: part.type,
            url: urlOfSource(part.source),
            ...(part.source.mediaType === undefined ? {} : { media_type: part.source.mediaType }),
            ...(part.type === 'file' && part.filename !== undefined ? { filename: part.filename } : {}),
          },
        ],
  );
}
