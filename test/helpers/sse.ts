/** Reads an SSE response with eventsource-parser, as a browser's EventSource would. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Yields each SSE message of a fetch response body. */
export async function* readSse(response: Response): AsyncGenerator<EventSourceMessage> {
  if (response.body === null) return;
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => queue.push(message) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    while (queue.length > 0) yield queue.shift()!;
  }
  parser.feed(decoder.decode());
  while (queue.length > 0) yield queue.shift()!;
}

/** Collects all messages of an SSE response. */
export async function collectSse(response: Response): Promise<EventSourceMessage[]> {
  const messages: EventSourceMessage[] = [];
  for await (const message of readSse(response)) messages.push(message);
  return messages;
}
