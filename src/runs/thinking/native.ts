/**
 * Native thinking: the model's own reasoning text (DeepSeek `reasoning_content`,
 * OpenRouter/Groq `reasoning`, `<think>` blocks) cut into steps at paragraph
 * boundaries, so polling and WebSocket clients see progress while it thinks.
 */
import type { ThinkingStep } from '../events.js';

/**
 * Progress shown for the n-th reasoning step. The model gives no total, so this
 * is a display heuristic: it rises 10 points a step and stops at 90 until the
 * answer is complete (100 is only ever reported by a finished run).
 */
export function reasoningProgress(step: number): number {
  return Math.min(90, step * 10);
}

/** Cuts streamed reasoning into {@link ThinkingStep}s, one per paragraph. */
export class NativeStepper {
  private buffer = '';
  private count = 0;

  constructor(private readonly firstStep = 1) {
    this.count = firstStep - 1;
  }

  /** Feeds reasoning text; returns the steps completed by it. */
  push(text: string): ThinkingStep[] {
    this.buffer += text;
    const steps: ThinkingStep[] = [];
    let boundary = this.buffer.search(/\n\s*\n/);
    while (boundary >= 0) {
      const paragraph = this.buffer.slice(0, boundary);
      const rest = this.buffer.slice(boundary).replace(/^\n\s*\n/, '');
      this.buffer = rest;
      const step = this.step(paragraph);
      if (step !== undefined) steps.push(step);
      boundary = this.buffer.search(/\n\s*\n/);
    }
    return steps;
  }

  /** Ends the reasoning: the unfinished paragraph becomes the last step. */
  flush(): ThinkingStep[] {
    const step = this.step(this.buffer);
    this.buffer = '';
    return step === undefined ? [] : [step];
  }

  /** Steps emitted so far. */
  get emitted(): number {
    return this.count - (this.firstStep - 1);
  }

  private step(paragraph: string): ThinkingStep | undefined {
    const message = paragraph.trim();
    if (message === '') return undefined;
    this.count += 1;
    return { step: this.count, status: 'reasoning', message, progress: reasoningProgress(this.count), timestamp: new Date().toISOString() };
  }
}
