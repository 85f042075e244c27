/**
 * Bounded body reading for answers that are read whole (error bodies, the model
 * list): an upstream that sends an endless or huge body cannot exhaust memory.
 */

/** Error bodies are read up to this many bytes: enough for any JSON error, bounded for HTML pages. */
export const ERROR_BODY_LIMIT_BYTES = 8 * 1024;

/** Result of {@link readBodyText}. */
export interface BodyText {
  /** The bytes read, decoded as UTF-8 (a character cut at the limit becomes U+FFFD). */
  text: string;
  /** True when the body was longer than the limit and reading stopped early. */
  truncated: boolean;
}

/**
 * Reads at most `limitBytes` of a body. Stops as soon as the limit is reached;
 * the caller must then destroy the body, since its rest was not consumed.
 *
 * @param body response bytes.
 * @param limitBytes upper bound in bytes (e.g. 8 KiB for error bodies).
 */
export async function readBodyText(body: AsyncIterable<Uint8Array>, limitBytes: number): Promise<BodyText> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  let truncated = false;
  for await (const chunk of body) {
    const room = limitBytes - length;
    if (chunk.byteLength > room) {
      chunks.push(chunk.subarray(0, room));
      length += room;
      truncated = true;
      break;
    }
    chunks.push(chunk);
    length += chunk.byteLength;
  }
  return { text: Buffer.concat(chunks, length).toString('utf8'), truncated };
}
