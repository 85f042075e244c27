/** Schema pieces every surface shares. */
import Type from 'typebox';

/**
 * A seed's `user_id` / `session_id` (or a task id): up to 128 characters that
 * fit a URL path segment, a query string and a header value unescaped.
 */
export const externalId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' });
