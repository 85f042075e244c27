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

/**
 * Applies a thinking mode to a provider's parts, synchronously, one part at a
 * time: the run's streaming loop calls it directly, so thinking adds no async
 * generator (and no promise) per part.
 */
export class ThinkingTransform {
  private readonly parser: StructuredThinkingParser | undefined;
  private native: NativeStepper | undefined;
  /** Structured steps and native steps share one numbering. */
  private stepOffset = 0;
  private ended = false;
  /** The parts of the current `push`; reused, so a plain delta allocates no array. */
  private readonly out: RunPart[] = [];

  constructor(private readonly mode: ThinkingMode) {
    this.parser = mode === 'structured' ? new StructuredThinkingParser() : undefined;
  }

  /** The parts one provider part becomes, in order; the array is valid until the next call. */
  push(part: StreamPart): readonly RunPart[] {
    const out = this.out;
    out.length = 0;
    if (this.mode === 'off') {
      out.push(part);
      return out;
    }
    switch (part.type) {
      case 'reasoning.delta':
        out.push(part);
        this.native ??= new NativeStepper(1);
        for (const step of this.native.push(part.text)) out.push({ type: 'thinking.step', step });
        break;
      case 'message.delta':
        // The answer begins: the reasoning's last paragraph is complete.
        this.closeNative();
        if (this.parser === undefined) out.push(part);
        else this.fromParser(this.parser.push(part.text));
        break;
      case 'finish':
      case 'error':
        // Usage may still follow a finish (OpenAI sends it last): keep passing parts.
        if (!this.ended) this.end();
        this.ended = true;
        out.push(part);
        break;
      default:
        out.push(part);
    }
    return out;
  }

  /** The closing parts once the provider's parts ended (none if a finish or error closed them); valid until the next call. */
  finish(): readonly RunPart[] {
    this.out.length = 0;
    if (this.mode !== 'off' && !this.ended) this.end();
    this.ended = true;
    return this.out;
  }

  private fromParser(outputs: StructuredOutput[]): void {
    for (const output of outputs) {
      this.out.push(output.type === 'thinking.step' ? { type: 'thinking.step', step: { ...output.step, step: output.step.step + this.stepOffset } } : output);
    }
  }

  private closeNative(): void {
    if (this.native === undefined) return;
    for (const step of this.native.flush()) this.out.push({ type: 'thinking.step', step });
    this.stepOffset = this.native.emitted;
    this.native = undefined;
  }

  private end(): void {
    this.closeNative();
    if (this.parser !== undefined) {
      this.fromParser(this.parser.flush());
      this.out.push({ type: 'answer.metadata', ...this.parser.result });
    }
  }
}
