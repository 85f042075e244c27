/**
 * From a create-response body to the core's request: input items (string or
 * message list, function calls and their outputs), and Responses-format
 * function tools turned into the chat-completion tools providers take.
 */
import { ParleyError } from '../../../errors.js';
import type { FunctionTool, JsonObject, ToolChoice } from '../../../providers/types.js';
import type { ResponseInput, ResponseSettings } from '../../../services/responses.js';
import { toContentPart } from './parts.js';
import type { CreateResponseBody } from './schemas.js';

/** The input items of a body. @throws ParleyError `validation_failed` naming the bad item. */
export function inputOf(body: CreateResponseBody): ResponseInput[] {
  if (typeof body.input === 'string') return [{ type: 'message', role: 'user', text: body.input }];
  // Earlier reasoning items (agent loops send the whole history back) are not sent upstream:
  // chat-completion providers take no reasoning in their input.
  const items = body.input.map((item, index) => ({ item, index })).filter(({ item }) => item.type !== 'reasoning');
  if (items.length === 0) throw new ParleyError('validation_failed', 'input has no message or function call item.', { param: 'input' });
  return items.map(({ item, index }): ResponseInput => {
    const param = `input.${index}`;
    const type = item.type ?? 'message';
    if (type === 'message') {
      if (item.role === undefined) throw new ParleyError('validation_failed', `${param}.role is required.`, { param: `${param}.role` });
      if (item.content === undefined) throw new ParleyError('validation_failed', `${param}.content is required.`, { param: `${param}.content` });
      if (typeof item.content === 'string') return { type: 'message', role: item.role, text: item.content };
      const parts = item.content.map((part, partIndex) => toContentPart(part, `${param}.content.${partIndex}`));
      const text = parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
      if (parts.every((part) => part.type === 'text')) return { type: 'message', role: item.role, text };
      if (item.role !== 'user') throw new ParleyError('validation_failed', `${param}: only user messages may carry images and files.`, { param: `${param}.content` });
      return { type: 'message', role: item.role, text, parts };
    }
    if (type === 'function_call') {
      if (item.call_id === undefined || item.name === undefined) throw new ParleyError('validation_failed', `${param} needs call_id and name.`, { param });
      return { type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments ?? '' };
    }
    if (type === 'function_call_output') {
      if (item.call_id === undefined || item.output === undefined) throw new ParleyError('validation_failed', `${param} needs call_id and output.`, { param });
      return { type: 'function_call_output', call_id: item.call_id, output: item.output };
    }
    throw new ParleyError('validation_failed', `Input items of type "${type}" are not supported; send messages, function_call, function_call_output (reasoning items are skipped).`, { param: `${param}.type` });
  });
}

/** An empty object schema: OpenAI's meaning of a function without `parameters`. */
const NO_PARAMETERS: JsonObject = { type: 'object', properties: {} };

/**
 * Function tools and `tool_choice` as the provider contract takes them
 * ({@link FunctionTool}, {@link ToolChoice}).
 * @throws ParleyError `validation_failed` for other tool types or an unknown `tool_choice`.
 */
export function upstreamToolsOf(body: CreateResponseBody): { tools: FunctionTool[]; tool_choice?: ToolChoice } {
  const tools = (body.tools ?? []).map((tool, index): FunctionTool => {
    if (tool.type !== 'function' || tool.name === undefined) {
      throw new ParleyError('validation_failed', `Tools of type "${tool.type}" are not supported; Parley passes function tools (with a name) to the provider.`, { param: `tools.${index}` });
    }
    const { name, description, parameters, strict } = tool;
    return {
      type: 'function',
      name,
      ...(description == null ? {} : { description }),
      // Parsed from the JSON request body, so every value in it is a JSON value.
      inputSchema: (parameters as JsonObject | null | undefined) ?? NO_PARAMETERS,
      ...(strict == null ? {} : { strict }),
    };
  });
  return { tools, ...toolChoiceOf(body.tool_choice) };
}

/** The Responses API's `tool_choice`: `"auto"`, `"none"`, `"required"` or `{type: "function", name}`. */
function toolChoiceOf(choice: unknown): { tool_choice?: ToolChoice } {
  if (choice === undefined || choice === null) return {};
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { tool_choice: { type: choice } };
  if (typeof choice === 'object' && 'name' in choice && typeof choice.name === 'string') return { tool_choice: { type: 'tool', toolName: choice.name } };
  throw new ParleyError('validation_failed', 'tool_choice must be "auto", "none", "required" or {"type": "function", "name": …}.', { param: 'tool_choice' });
}

/** The settings a response echoes. */
export function settingsOf(body: CreateResponseBody): ResponseSettings {
  return {
    model: body.model ?? null,
    instructions: body.instructions ?? null,
    metadata: body.metadata ?? null,
    temperature: body.temperature ?? null,
    top_p: body.top_p ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    tools: body.tools ?? [],
    tool_choice: body.tool_choice ?? 'auto',
    background: body.background === true,
    store: body.store !== false,
  };
}
