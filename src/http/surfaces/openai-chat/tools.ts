/**
 * OpenAI's `tools` / `tool_choice` (API reference, "Create chat completion")
 * → the provider contract's typed {@link FunctionTool}s and {@link ToolChoice}.
 */
import { ParleyError } from '../../../errors.js';
import type { FunctionTool, JsonObject, ToolChoice } from '../../../providers/types.js';
import type { ChatCompletionBody } from './schemas.js';

/** An empty object schema: OpenAI's meaning of a function without `parameters`. */
const NO_PARAMETERS: JsonObject = { type: 'object', properties: {} };

/**
 * Maps OpenAI function tools.
 * @throws ParleyError `validation_failed` naming `tools[i].type` for a tool that is
 *   not a function (OpenAI's `custom` tools have no counterpart in other providers).
 */
export function toFunctionTools(tools: ChatCompletionBody['tools']): FunctionTool[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  return tools.map((tool, index): FunctionTool => {
    if (tool.type !== 'function' || tool.function === undefined) {
      throw new ParleyError('validation_failed', `Tools of type "${tool.type}" are not supported; send {"type": "function", "function": {…}}.`, {
        param: `tools.${index}.type`,
      });
    }
    const { name, description, parameters, strict } = tool.function;
    // Parsed from the JSON request body, so every value in it is a JSON value.
    const inputSchema = (parameters as JsonObject | undefined) ?? NO_PARAMETERS;
    return {
      type: 'function',
      name,
      ...(description === undefined ? {} : { description }),
      inputSchema,
      ...(strict === undefined || strict === null ? {} : { strict }),
    };
  });
}

/** Maps OpenAI's `tool_choice` (`"auto"`, `"none"`, `"required"` or a named function). */
export function toToolChoice(choice: ChatCompletionBody['tool_choice']): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (typeof choice === 'string') return { type: choice };
  return { type: 'tool', toolName: choice.function.name };
}
