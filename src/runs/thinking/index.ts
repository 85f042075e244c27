/**
 * Thinking modes (DESIGN.md "Thinking"), applied between the provider's parts
 * and the run: `native` cuts the model's reasoning into steps, `structured`
 * parses labelled sections out of the answer text, `off` passes parts through.
 * `auto` is `native`: steps appear exactly when the model streams reasoning.
 */
import type { StreamPart } from '../../providers/types.js';
import type { ThinkingStep } from '../events.js';
import { NativeStepper } from './native.js';
import { StructuredThinkingParser, type StructuredOutput } from './structured.js';

export { STRUCTURED_THINKING_PROMPT } from './structured.js';

/** How a run derives thinking steps. */
export type ThinkingMode = 'auto' | 'native' | 'structured' | 'off';

/** All thinking modes, for schemas and configuration. */
export const THINKING_MODES: readonly ThinkingMode[] = ['auto', 'native', 'structured', 'off'];

/** Parts after thinking: provider parts plus derived steps and answer metadata. */
export type RunPart =
  | StreamPart
  | { type: 'thinking.step'; step: ThinkingStep }
  | { type: 'answer.metadata'; confidence: number | null; suggested_followups: string[] };

/** Applies `mode` to a provider stream. */
export async function* applyThinking(mode: ThinkingMode, parts: AsyncIterable<StreamPart>): AsyncGenerator<RunPart> {
  if (mode === 'off') {
    yield* parts;
    return;
  }
  const parser = mode === 'structured' ? new StructuredThinkingParser() : undefined;
  let native: NativeStepper | undefined;
  let stepOffset = 0;
  // Structured steps and native steps share one numbering.
  const renumber = (step: ThinkingStep): ThinkingStep => ({ ...step, step: step.step + stepOffset });

  function* fromParser(outputs: StructuredOutput[]): Generator<RunPart> {
    for (const output of outputs) yield output.type === 'thinking.step' ? { type: 'thinking.step', step: renumber(output.step) } : output;
  }
  function* closeNative(): Generator<RunPart> {
    if (native === undefined) return;
    for (const step of native.flush()) yield { type: 'thinking.step', step };
    stepOffset = native.emitted;
    native = undefined;
  }
  function* end(): Generator<RunPart> {
    yield* closeNative();
    if (parser !== undefined) {
      yield* fromParser(parser.flush());
      yield { type: 'answer.metadata', ...parser.result };
    }
  }

  let ended = false;
  for await (const part of parts) {
    switch (part.type) {
      case 'reasoning.delta':
        yield part;
        native ??= new NativeStepper(1);
        for (const step of native.push(part.text)) yield { type: 'thinking.step', step };
        break;
      case 'message.delta':
        // The answer begins: the reasoning's last paragraph is complete.
        yield* closeNative();
        if (parser === undefined) yield part;
        else yield* fromParser(parser.push(part.text));
        break;
      case 'finish':
      case 'error':
        // Usage may still follow a finish (OpenAI sends it last): keep passing parts.
        if (!ended) yield* end();
        ended = true;
        yield part;
        break;
      default:
        yield part;
    }
  }
  if (!ended) yield* end();
}
