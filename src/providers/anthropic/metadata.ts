/**
 * What the Anthropic adapter keeps in an answer's provider metadata: its
 * thinking blocks, signatures included, in the order the model wrote them.
 * Anthropic verifies the signature of every thinking block sent back and needs
 * them on a tool-use turn while thinking is on
 * (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks).
 */
import type { JsonObject, ProviderMetadata } from '../types.js';

/** The key of this adapter's entry in {@link ProviderMetadata}. */
export const METADATA_KEY = 'anthropic';

/** A thinking block as the Messages API sends and takes it. */
export type ThinkingBlock = { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

function isThinkingBlock(value: unknown): value is ThinkingBlock {
  if (typeof value !== 'object' || value === null) return false;
  const block = value as Record<string, unknown>;
  if (block.type === 'thinking') return typeof block.thinking === 'string' && typeof block.signature === 'string' && block.signature !== '';
  return block.type === 'redacted_thinking' && typeof block.data === 'string';
}

/** Provider metadata carrying `blocks` (none when there are no blocks). */
export function thinkingMetadata(blocks: readonly ThinkingBlock[]): ProviderMetadata | undefined {
  if (blocks.length === 0) return undefined;
  const entry: JsonObject = { thinking: blocks.map((block) => ({ ...block })) };
  return { [METADATA_KEY]: entry };
}

/**
 * The thinking blocks stored with an assistant message. Blocks without a
 * signature cannot be verified by Anthropic and are dropped; metadata of other
 * providers is ignored.
 */
export function thinkingBlocksOf(metadata: ProviderMetadata | undefined): ThinkingBlock[] {
  const blocks = metadata?.[METADATA_KEY]?.thinking;
  return Array.isArray(blocks) ? blocks.filter(isThinkingBlock) : [];
}
