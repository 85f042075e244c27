/**
 * What the Gemini adapter keeps in an answer's provider metadata: the thought
 * signatures Gemini attached to its text and function-call parts. Gemini 3
 * requires them back on the parts they came with while a function-calling turn
 * continues, and uses them to keep its reasoning across turns
 * (https://ai.google.dev/gemini-api/docs/thought-signatures).
 */
import type { JsonObject, ProviderMetadata } from '../types.js';

/** The key of this adapter's entry in {@link ProviderMetadata}. */
export const METADATA_KEY = 'google';

/** Signatures of one answer: of its text, and of its function calls by their position (0, 1, …). */
export interface ThoughtSignatures {
  text?: string;
  toolCalls: Record<number, string>;
}

/** Provider metadata carrying the signatures (none when there are none). */
export function signatureMetadata(signatures: ThoughtSignatures): ProviderMetadata | undefined {
  const toolCalls: JsonObject = {};
  for (const [index, signature] of Object.entries(signatures.toolCalls)) toolCalls[index] = signature;
  if (signatures.text === undefined && Object.keys(toolCalls).length === 0) return undefined;
  return { [METADATA_KEY]: { thoughtSignatures: { ...(signatures.text === undefined ? {} : { text: signatures.text }), toolCalls } } };
}

/** The signatures stored with an assistant message; metadata of other providers is ignored. */
export function signaturesOf(metadata: ProviderMetadata | undefined): ThoughtSignatures {
  const stored = metadata?.[METADATA_KEY]?.thoughtSignatures;
  const signatures: ThoughtSignatures = { toolCalls: {} };
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return signatures;
  if (typeof stored.text === 'string') signatures.text = stored.text;
  const toolCalls = stored.toolCalls;
  if (typeof toolCalls === 'object' && toolCalls !== null && !Array.isArray(toolCalls)) {
    for (const [index, signature] of Object.entries(toolCalls)) {
      if (typeof signature === 'string' && /^\d+$/.test(index)) signatures.toolCalls[Number(index)] = signature;
    }
  }
  return signatures;
}
