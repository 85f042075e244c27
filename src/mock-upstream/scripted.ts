/**
 * The scripted (non-replay) answers of the mock upstream in OpenAI's wire
 * format. Chunk envelopes are built once per request and only the delta text
 * is serialized per chunk, because this server is a benchmark baseline.
 */
// The mock speaks the same OpenAI wire format as Parley's own /v1 view.
import { openAIUsage } from '../http/surfaces/openai-chat/chunks.js';
import { mockScript } from '../providers/mock/script.js';
import type { ChatMessage, ChatRequest } from '../providers/types.js';
import { contentText, type CompletionIdentity, type StreamFrames } from './dialect.js';
import type { MockUpstreamOptions } from './options.js';

/**
 * Checks the parts of an OpenAI chat request body the mock relies on and
 * returns it as a {@link ChatRequest}, or a `{param, message}` describing the
 * first problem (the caller answers 400).
 */
export function toChatRequest(body: unknown): ChatRequest | { param: string; message: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { param: '', message: 'The request body must be a JSON object.' };
  }
  const fields = body as Record<string, unknown>;
  if (typeof fields.model !== 'string' || fields.model === '') {
    return { param: 'model', message: "Missing required parameter: 'model'." };
  }
  if (!Array.isArray(fields.messages)) {
    return { param: 'messages', message: "Missing required parameter: 'messages'." };
  }
  const messages: ChatMessage[] = [];
  for (const [index, message] of (fields.messages as unknown[]).entries()) {
    if (typeof message !== 'object' || message === null || !('role' in message) || typeof message.role !== 'string') {
      return { param: `messages[${index}]`, message: `Invalid value for 'messages[${index}]': expected an object with a role.` };
    }
    const content = 'content' in message ? contentText(message.content) : null;
    messages.push({ role: message.role as ChatMessage['role'], content });
  }
  return { model: fields.model, messages };
}

/**
 * The SSE events of a scripted streamed answer: a role chunk, reasoning
 * chunks, answer chunks, a `finish_reason: "stop"` chunk, and with
 * `includeUsage` a usage chunk with empty `choices`; then `data: [DONE]`.
 */
export function scriptedFrames(
  request: ChatRequest,
  identity: CompletionIdentity,
  options: MockUpstreamOptions,
  includeUsage: boolean,
): StreamFrames {
  const script = mockScript(request, options);
  const head = `data: {"id":${JSON.stringify(identity.id)},"object":"chat.completion.chunk","created":${identity.created},"model":${JSON.stringify(identity.model)},"choices":[`;
  const deltaHead = `${head}{"index":0,"delta":{`;
  const deltaTail = '},"logprobs":null,"finish_reason":null}]}\n\n';
  const reasoningKey = `"${options.reasoningField}":`;

  const frames = [`${deltaHead}"role":"assistant","content":""${deltaTail}`];
  for (const text of script.reasoning) frames.push(deltaHead + reasoningKey + JSON.stringify(text) + deltaTail);
  for (const text of script.content) frames.push(`${deltaHead}"content":${JSON.stringify(text)}${deltaTail}`);
  frames.push(`${deltaHead}},"logprobs":null,"finish_reason":"stop"}]}\n\n`);
  if (includeUsage) frames.push(`${head}],"usage":${JSON.stringify(openAIUsage(script.usage))}}\n\n`);
  return { frames, terminator: 'data: [DONE]\n\n' };
}

/** JSON text of the scripted non-streaming `chat.completion`. */
export function scriptedCompletion(
  request: ChatRequest,
  identity: CompletionIdentity,
  options: MockUpstreamOptions,
): string {
  const script = mockScript(request, options);
  const message: Record<string, unknown> = { role: 'assistant', content: script.content.join('') };
  if (script.reasoning.length > 0) message[options.reasoningField] = script.reasoning.join('');
  message.refusal = null;
  return JSON.stringify({
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }],
    usage: openAIUsage(script.usage),
  });
}
