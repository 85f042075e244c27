/**
 * Request mapping: provider-neutral {@link ChatRequest} → OpenAI chat completions
 * request body (https://platform.openai.com/docs/api-reference/chat/create).
 */
import type { ChatMessage, ChatRequest, FunctionTool, JsonObject, ToolChoice } from '../types.js';
import { toUpstreamPart, type UpstreamContentPart } from './parts.js';

/** An upstream message: OpenAI's shape with unset fields left out. */
export interface UpstreamMessage {
  role: ChatMessage['role'];
  content: string | UpstreamContentPart[] | null;
  name?: string;
  tool_call_id?: string;
  tool_calls?: ChatMessage['tool_calls'];
}

/** OpenAI's function tool definition. */
export interface UpstreamTool {
  type: 'function';
  function: { name: string; description?: string; parameters: JsonObject; strict?: boolean };
}

/** OpenAI's `tool_choice`. */
export type UpstreamToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/**
 * The JSON body POSTed to `/chat/completions`. A stream always has
 * `stream_options.include_usage`, so usage arrives in the stream (OpenAI sends
 * it in a last chunk with empty `choices`; others in the finish chunk); a
 * whole answer (`stream: false`) carries its usage anyway.
 */
export type UpstreamChatBody = Omit<ChatRequest, 'messages' | 'tools' | 'tool_choice'> & {
  messages: UpstreamMessage[];
  tools?: UpstreamTool[];
  tool_choice?: UpstreamToolChoice;
  stream: boolean;
  stream_options?: { include_usage: true };
};

function toUpstreamMessage(message: ChatMessage): UpstreamMessage {
  // Copy known fields only: callers may hang bookkeeping on their message
  // objects (provider metadata among them), and strict servers (vLLM, llama.cpp)
  // reject unknown keys.
  const upstream: UpstreamMessage = { role: message.role, content: message.parts === undefined ? message.content : message.parts.map(toUpstreamPart) };
  if (message.name !== undefined) upstream.name = message.name;
  if (message.tool_call_id !== undefined) upstream.tool_call_id = message.tool_call_id;
  if (message.tool_calls !== undefined && message.tool_calls.length > 0) upstream.tool_calls = message.tool_calls;
  return upstream;
}

/** A neutral tool as OpenAI's `{type: "function", function: {…}}`. */
export function toUpstreamTool(tool: FunctionTool): UpstreamTool {
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: tool.inputSchema,
      ...(tool.strict === undefined ? {} : { strict: tool.strict }),
    },
  };
}

/** A neutral tool choice as OpenAI's `tool_choice`. */
export function toUpstreamToolChoice(choice: ToolChoice): UpstreamToolChoice {
  return choice.type === 'tool' ? { type: 'function', function: { name: choice.toolName } } : choice.type;
}

const OPTIONAL_FIELDS = [
  'temperature',
  'top_p',
  'max_tokens',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'reasoning_effort',
  'user',
] as const satisfies readonly (keyof ChatRequest & keyof UpstreamChatBody)[];

/**
 * Builds the upstream body for a chat completion. Optional sampling
 * fields are copied only when set, so each server applies its own defaults;
 * `tools` / `tool_choice` are sent in OpenAI's shape when at least one tool is given.
 *
 * @param request the provider-neutral request; `model` is already unprefixed.
 * @param whole ask for one non-streamed answer (`stream: false`, no `stream_options`) instead of a stream.
 * @returns a body ready for `JSON.stringify`.
 */
export function toUpstreamBody(request: ChatRequest, whole = false): UpstreamChatBody {
  const body: UpstreamChatBody = whole
    ? { model: request.model, messages: request.messages.map(toUpstreamMessage), stream: false }
    : { model: request.model, messages: request.messages.map(toUpstreamMessage), stream: true, stream_options: { include_usage: true } };
  const target = body as Record<(typeof OPTIONAL_FIELDS)[number], unknown>;
  for (const field of OPTIONAL_FIELDS) {
    const value = request[field];
    if (value !== undefined) target[field] = value;
  }
  // OpenAI rejects `tools: []` and a `tool_choice` without tools with a 400, so
  // "no tools" is sent as no fields at all.
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map(toUpstreamTool);
    if (request.tool_choice !== undefined) body.tool_choice = toUpstreamToolChoice(request.tool_choice);
  }
  return body;
}
