/**
 * Reasoning effort (OpenAI's `reasoning_effort`) as a thinking budget in tokens,
 * for providers that take a budget rather than an effort (Anthropic extended
 * thinking, Gemini 2.5 `thinkingBudget`). One table, so an effort means the same
 * on every provider.
 */
import type { ReasoningEffort } from '../types.js';

/**
 * Thinking tokens per effort. `minimal` is Anthropic's smallest accepted budget
 * (1,024); each step roughly quadruples up to `high`, which stays inside every
 * current model's output limit; `xhigh` doubles it.
 */
export const REASONING_BUDGET_TOKENS: Readonly<Record<Exclude<ReasoningEffort, 'none'>, number>> = Object.freeze({
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 32768,
});

/**
 * The budget for a request: its effort when it names one (`none` → 0), else the
 * configured default.
 * @param configured tokens from configuration; 0 means thinking off.
 */
export function thinkingBudget(effort: ReasoningEffort | undefined, configured: number): number {
  if (effort === undefined) return configured;
  return effort === 'none' ? 0 : REASONING_BUDGET_TOKENS[effort];
}
