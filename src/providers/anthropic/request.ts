/**
 * Request mapping: provider-neutral {@link ChatRequest} → Anthropic Messages
 * request body (https://docs.anthropic.com/en/api/messages), after vercel/ai's
 * `convertToAnthropicPrompt`:
 * - system messages become the top-level `system` (text blocks, in order);
 * - tool results (`role: "tool"`) become `tool_result` blocks of a user turn,
 *   first in that turn as the API requires; consecutive same-role turns merge;
 * - an assistant turn is its thinking blocks (from the provider metadata Parley
 *   stored with it, signatures included), its text, then its `tool_use` blocks;
 * - `max_tokens` is required: the request's, else the configured default; with
 *   extended thinking the budget is added on top so the answer keeps its share;
 * - extended thinking (`thinking: {type: "enabled", budget_tokens}`) comes from
 *   the request's reasoning effort, else the configured budget. Thinking forbids
 *   a custom `temperature` / `top_p`, so those are left out while it is on; it
 *   also refuses a forced tool, and a tool-use turn whose thinking block is not
 *   sent back, so such requests go without thinking rather than fail;
 * - `top_p` is sent only without `temperature`: current models refuse both.
 * `seed`, `presence_penalty` and `frequency_penalty` have no Messages equivalent
 * and are not sent.
 */
import { ParleyError } from '../../errors.js';
import { thinkingBudget } from '../provider-utils/reasoning.js';
import type { ChatMessage, ChatRequest, FunctionTool, JsonObject, ToolChoice } from '../types.js';
import type { AnthropicConfig } from './config.js';
import { thinkingBlocksOf, type ThinkingBlock } from './metadata.js';
import { toAnthropicBlock, type AnthropicMediaBlock } from './parts.js';

/** A content block Parley sends (https://docs.anthropic.com/en/api/messages#body-messages-content). */
export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: JsonObject }
  | { type: 'tool_result'; tool_use_id: string; content: string }
  | AnthropicMediaBlock
  | ThinkingBlock;

/** One turn of `messages`. */
export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicContentBlock[];
}

/** The JSON body POSTed to `/v1/messages`. */
export interface AnthropicRequestBody {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: { type: 'text'; text: string }[];
  /** Absent for a whole answer: the API then returns one `message` object. */
  stream?: true;
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  tools?: { name: string; description?: string; input_schema: JsonObject }[];
  tool_choice?: { type: 'auto' | 'any' | 'none' } | { type: 'tool'; name: string };
  thinking?: { type: 'enabled'; budget_tokens: number };
  metadata?: { user_id: string };
}

function toolChoice(choice: ToolChoice): NonNullable<AnthropicRequestBody['tool_choice']> {
  switch (choice.type) {
    case 'auto':
      return { type: 'auto' };
    case 'none':
      return { type: 'none' };
    case 'required':
      return { type: 'any' };
    case 'tool':
      return { type: 'tool', name: choice.toolName };
  }
}

function tool(definition: FunctionTool): NonNullable<AnthropicRequestBody['tools']>[number] {
  return {
    name: definition.name,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    input_schema: definition.inputSchema,
  };
}

function toolUseInput(message: ChatMessage, messageIndex: number, callIndex: number, text: string): JsonObject {
  let input: unknown;
  try {
    input = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    input = undefined;
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ParleyError('validation_failed', `The arguments of tool call "${message.tool_calls?.[callIndex]?.id ?? ''}" are not a JSON object.`, {
      param: `messages.${messageIndex}.tool_calls.${callIndex}.function.arguments`,
    });
  }
  return input as JsonObject;
}

function assistantBlocks(message: ChatMessage, index: number): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [...thinkingBlocksOf(message.providerMetadata)];
  // The API refuses empty text blocks.
  if (message.content !== null && message.content !== '') blocks.push({ type: 'text', text: message.content });
  message.tool_calls?.forEach((call, callIndex) => {
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolUseInput(message, index, callIndex, call.function.arguments) });
  });
  return blocks;
}

/** Appends blocks to the last turn when it has the same role, else starts a turn. */
function pushTurn(turns: AnthropicMessage[], role: AnthropicMessage['role'], blocks: AnthropicContentBlock[]): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  if (last?.role !== role) {
    turns.push({ role, content: blocks });
    return;
  }
  // Tool results must open a user turn: they go before text already in it.
  const results = blocks.filter((block) => block.type === 'tool_result');
  const rest = blocks.filter((block) => block.type !== 'tool_result');
  const firstOther = last.content.findIndex((block) => block.type !== 'tool_result');
  if (results.length > 0 && firstOther >= 0) last.content.splice(firstOther, 0, ...results);
  else last.content.push(...results);
  last.content.push(...rest);
}

/** System text blocks and turns, in order. */
function convertMessages(messages: readonly ChatMessage[]): Pick<AnthropicRequestBody, 'system' | 'messages'> {
  const system: { type: 'text'; text: string }[] = [];
  const turns: AnthropicMessage[] = [];
  messages.forEach((message, index) => {
    switch (message.role) {
      case 'system':
        if (message.content !== null && message.content !== '') system.push({ type: 'text', text: message.content });
        return;
      case 'user':
        if (message.parts !== undefined) {
          // The API refuses empty text blocks.
          const parts = message.parts.filter((part) => part.type !== 'text' || part.text !== '');
          pushTurn(turns, 'user', parts.map((part, partIndex) => toAnthropicBlock(part, `messages.${index}.content.${partIndex}`)));
        } else pushTurn(turns, 'user', message.content === null || message.content === '' ? [] : [{ type: 'text', text: message.content }]);
        return;
      case 'tool':
        if (message.tool_call_id === undefined) {
          throw new ParleyError('validation_failed', 'A tool message needs the tool_call_id of the call it answers.', { param: `messages.${index}.tool_call_id` });
        }
        pushTurn(turns, 'user', [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: message.content ?? '' }]);
        return;
      case 'assistant':
        pushTurn(turns, 'assistant', assistantBlocks(message, index));
        return;
    }
  });
  return { ...(system.length === 0 ? {} : { system }), messages: turns };
}

/**
 * Anthropic refuses a tool-use turn without its thinking block while thinking is
 * on ("a final assistant message must start with a thinking block"). A client
 * that keeps its own history (`/v1`) cannot send that block back, so such a
 * request goes without thinking rather than fail.
 */
function lastToolTurnLacksThinking(turns: readonly AnthropicMessage[]): boolean {
  const lastAssistant = [...turns].reverse().find((turn) => turn.role === 'assistant');
  if (lastAssistant === undefined) return false;
  const usesTools = lastAssistant.content.some((block) => block.type === 'tool_use');
  return usesTools && lastAssistant.content[0]?.type !== 'thinking' && lastAssistant.content[0]?.type !== 'redacted_thinking';
}

/** Thinking allows only `auto` and `none` tool choices; a forced tool wins over thinking. */
function forcesTool(request: ChatRequest): boolean {
  const type = request.tool_choice?.type;
  return request.tools !== undefined && request.tools.length > 0 && (type === 'required' || type === 'tool');
}

/**
 * Builds the request body: streamed, or without `stream` when `whole` (the
 * caller waits for the whole answer; the API returns one `message`).
 * @throws ParleyError `validation_failed` for a tool message without `tool_call_id`
 *   or tool-call arguments that are not a JSON object (the `param` names the field).
 */
export function toAnthropicBody(request: ChatRequest, config: AnthropicConfig, whole = false): AnthropicRequestBody {
  const { system, messages } = convertMessages(request.messages);
  const answerTokens = request.max_tokens ?? config.maxTokens;
  let budget = thinkingBudget(request.reasoning_effort, config.thinkingBudgetTokens);
  if (budget > 0 && (lastToolTurnLacksThinking(messages) || forcesTool(request))) budget = 0;
  const body: AnthropicRequestBody = {
    model: request.model,
    max_tokens: answerTokens + budget,
    messages,
    ...(system === undefined ? {} : { system }),
    ...(whole ? {} : { stream: true as const }),
  };
  if (budget > 0) {
    body.thinking = { type: 'enabled', budget_tokens: budget };
  } else {
    if (request.temperature !== undefined) body.temperature = request.temperature;
    // Current Claude models refuse both at once; the temperature is the setting Parley's configuration knows.
    else if (request.top_p !== undefined) body.top_p = request.top_p;
  }
  if (request.stop !== undefined) body.stop_sequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map(tool);
    if (request.tool_choice !== undefined) body.tool_choice = toolChoice(request.tool_choice);
  }
  if (request.user !== undefined) body.metadata = { user_id: request.user };
  return body;
}
