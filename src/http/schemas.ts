/** Schema pieces every surface shares. */
import type { InputLimits } from '../config/types.js';
import Type from 'typebox';

/**
 * A seed's `user_id` / `session_id` (or a task id): up to 128 characters that
 * fit a URL path segment, a query string and a header value unescaped.
 */
export const externalId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' });

/**
 * Body limit of the routes that take attachments: PARLEY_MAX_BODY_BYTES plus one
 * message's worth of attachments as base64 (PARLEY_MAX_MESSAGE_ATTACHMENT_BYTES × 4/3).
 */
export function attachmentBodyLimit(limits: InputLimits): number {
  return limits.bodyLimitBytes + Math.ceil(limits.attachments.maxMessageBytes / 3) * 4;
}
