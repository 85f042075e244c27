/**
 * Request mapping: provider-neutral {@link ChatRequest} → Gemini
 * `GenerateContentRequest` (https://ai.google.dev/api/generate-content#request-body),
 * after vercel/ai's `convertToGoogleMessages`:
 * - system messages become `systemInstruction`; roles are `user` and `model`;
 * - an assistant turn is its text, then its function calls (`functionCall` with
 *   the call id and parsed arguments), each with the thought signature Gemini
 *   gave it (from the stored provider metadata); Gemini 3 refuses a replayed
 *   function call without one, so where none is known the documented
 *   `skip_thought_signature_validator` stands in;
 * - tool results become `functionResponse` parts of a user turn (name from the
 *   message or from the call it answers); consecutive same-role turns merge, so
 *   parallel calls are answered in one turn as Gemini requires;
 * - tools are `functionDeclarations` with `parametersJsonSchema` (JSON Schema as
 *   is, no OpenAPI conversion); tool choice is `toolConfig.functionCallingConfig`;
 * - thinking: `includeThoughts` on thinking models, so thought summaries stream as
 *   reasoning; a reasoning effort becomes `thinkingLevel` on Gemini 3 (`low` up to
 *   `low`, `high` above; thinking cannot be turned off there) and `thinkingBudget`
 *   on earlier models (`none` → 0), else the configured budget.
 */
import { ParleyError } from '../../errors.js';
import { REASONING_BUDGET_TOKENS } from '../provider-utils/reasoning.js';
import type { ChatMessage, ChatRequest, FunctionTool, JsonObject, ReasoningEffort, ToolChoice } from '../types.js';
import type { GoogleConfig } from './config.js';
import { signaturesOf } from './metadata.js';
import { toGooglePart, type GoogleMediaPart } from './parts.js';

/** Google's placeholder for a replayed function call whose signature is unknown. */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

/** A part Parley sends (https://ai.google.dev/api/caching#Part). */
export type GooglePart =
  | { text: string; thoughtSignature?: string }
  | Exclude<GoogleMediaPart, { text: string }>
  | { functionCall: { name: string; args: JsonObject; id?: string }; thoughtSignature?: string }
  | { functionResponse: { name: string; response: JsonObject; id?: string } };

/** One entry of `contents`. */
export interface GoogleContent {
  role: 'user' | 'model';
  parts: GooglePart[];
}

/** `generationConfig.thinkingConfig`. */
export interface ThinkingConfig {
  includeThoughts?: boolean;
  thinkingBudget?: number;
  thinkingLevel?: 'low' | 'high';
}

/** The JSON body POSTed to `:streamGenerateContent` and `:generateContent` alike. */
export interface GoogleRequestBody {
  contents: GoogleContent[];
  systemInstruction?: { parts: { text: string }[] };
  generationConfig?: {
    temperature?: number;
    topP?: number;
    maxOutputTokens?: number;
    stopSequences?: string[];
    seed?: number;
    presencePenalty?: number;
    frequencyPenalty?: number;
    thinkingConfig?: ThinkingConfig;
  };
  tools?: { functionDeclarations: { name: string; description?: string; parametersJsonSchema: JsonObject }[] }[];
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } };
}

const MODEL_PATH = /^(?:models\/)?/;

/** Gemini 2.5 and later think; 1.x, 2.0 and Gemma do not and reject a thinking config. */
export function isThinkingModel(model: string): boolean {
  const name = model.replace(MODEL_PATH, '');
  return /^gemini-(?:2\.[5-9]|[3-9])/.test(name) || /^gemini-(?:flash|pro)(?:-lite)?-latest$/.test(name);
}

/** Gemini 3 and later take `thinkingLevel` instead of a budget. */
export function isGemini3(model: string): boolean {
  return /^gemini-[3-9]/.test(model.replace(MODEL_PATH, ''));
}

function thinkingConfig(model: string, effort: ReasoningEffort | undefined, configured: number | undefined): ThinkingConfig | undefined {
  if (!isThinkingModel(model)) return undefined;
  const config: ThinkingConfig = { includeThoughts: true };
  if (effort !== undefined && isGemini3(model)) {
    config.thinkingLevel = effort === 'none' || effort === 'minimal' || effort === 'low' ? 'low' : 'high';
  } else if (effort !== undefined) {
    config.thinkingBudget = effort === 'none' ? 0 : REASONING_BUDGET_TOKENS[effort];
  } else if (configured !== undefined) {
    config.thinkingBudget = configured;
  }
  // With thinking off there are no thoughts to include.
  if (config.thinkingBudget === 0) delete config.includeThoughts;
  return config;
}

function parseObject(text: string, onError: () => ParleyError): JsonObject {
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw onError();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw onError();
  return value as JsonObject;
}

/** A tool result as `functionResponse.response`: a JSON object as is, other text wrapped as `{content}`. */
function toolResponse(content: string | null): JsonObject {
  const text = content ?? '';
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  } catch {
    // Plain text, as most tools answer.
  }
  return { content: text };
}

function modelParts(message: ChatMessage, index: number, gemini3: boolean): GooglePart[] {
  const signatures = signaturesOf(message.providerMetadata);
  const parts: GooglePart[] = [];
  if (message.content !== null && message.content !== '') {
    parts.push({ text: message.content, ...(signatures.text === undefined ? {} : { thoughtSignature: signatures.text }) });
  }
  const signedAny = Object.keys(signatures.toolCalls).length > 0;
  message.tool_calls?.forEach((call, callIndex) => {
    const args = parseObject(call.function.arguments, () =>
      new ParleyError('validation_failed', `The arguments of tool call "${call.id}" are not a JSON object.`, {
        param: `messages.${index}.tool_calls.${callIndex}.function.arguments`,
      }),
    );
    // Gemini signs the first call of a step only; the placeholder stands in when no call of the turn is signed.
    const signature = signatures.toolCalls[callIndex] ?? (gemini3 && !signedAny && callIndex === 0 ? SKIP_THOUGHT_SIGNATURE : undefined);
    parts.push({ functionCall: { name: call.function.name, args, id: call.id }, ...(signature === undefined ? {} : { thoughtSignature: signature }) });
  });
  return parts;
}

function pushContent(contents: GoogleContent[], role: GoogleContent['role'], parts: GooglePart[]): void {
  if (parts.length === 0) return;
  const last = contents.at(-1);
  if (last?.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

function convertMessages(messages: readonly ChatMessage[], model: string): Pick<GoogleRequestBody, 'contents' | 'systemInstruction'> {
  const system: { text: string }[] = [];
  const contents: GoogleContent[] = [];
  const toolNames = new Map<string, string>();
  const gemini3 = isGemini3(model);
  messages.forEach((message, index) => {
    switch (message.role) {
      case 'system':
        if (message.content !== null && message.content !== '') system.push({ text: message.content });
        return;
      case 'user':
        if (message.parts !== undefined) {
          const parts = message.parts.filter((part) => part.type !== 'text' || part.text !== '');
          pushContent(contents, 'user', parts.map((part, partIndex) => toGooglePart(part, `messages.${index}.content.${partIndex}`)));
        } else if (message.content !== null && message.content !== '') pushContent(contents, 'user', [{ text: message.content }]);
        return;
      case 'assistant':
        for (const call of message.tool_calls ?? []) toolNames.set(call.id, call.function.name);
        pushContent(contents, 'model', modelParts(message, index, gemini3));
        return;
      case 'tool': {
        const name = message.name ?? (message.tool_call_id === undefined ? undefined : toolNames.get(message.tool_call_id));
        if (name === undefined) {
          throw new ParleyError('validation_failed', 'A tool message needs the tool_call_id of an earlier tool call (or a name).', {
            param: `messages.${index}.tool_call_id`,
          });
        }
        const id = message.tool_call_id === undefined ? {} : { id: message.tool_call_id };
        pushContent(contents, 'user', [{ functionResponse: { name, response: toolResponse(message.content), ...id } }]);
        return;
      }
    }
  });
  return { contents, ...(system.length === 0 ? {} : { systemInstruction: { parts: system } }) };
}

function tools(definitions: readonly FunctionTool[]): NonNullable<GoogleRequestBody['tools']> {
  return [
    {
      functionDeclarations: definitions.map((tool) => ({
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parametersJsonSchema: tool.inputSchema,
      })),
    },
  ];
}

function toolConfig(choice: ToolChoice): NonNullable<GoogleRequestBody['toolConfig']> {
  switch (choice.type) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'tool':
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.toolName] } };
  }
}

/**
 * Builds the request body.
 * @throws ParleyError `validation_failed` for tool-call arguments that are not a
 *   JSON object or a tool message whose function cannot be named.
 */
export function toGoogleBody(request: ChatRequest, config: GoogleConfig): GoogleRequestBody {
  const body: GoogleRequestBody = convertMessages(request.messages, request.model);
  const generation: NonNullable<GoogleRequestBody['generationConfig']> = {};
  if (request.temperature !== undefined) generation.temperature = request.temperature;
  if (request.top_p !== undefined) generation.topP = request.top_p;
  if (request.max_tokens !== undefined) generation.maxOutputTokens = request.max_tokens;
  if (request.stop !== undefined) generation.stopSequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.seed !== undefined) generation.seed = request.seed;
  if (request.presence_penalty !== undefined) generation.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) generation.frequencyPenalty = request.frequency_penalty;
  const thinking = thinkingConfig(request.model, request.reasoning_effort, config.thinkingBudgetTokens);
  if (thinking !== undefined) generation.thinkingConfig = thinking;
  if (Object.keys(generation).length > 0) body.generationConfig = generation;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = tools(request.tools);
    if (request.tool_choice !== undefined) body.toolConfig = toolConfig(request.tool_choice);
  }
  return body;
}
