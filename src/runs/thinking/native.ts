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

/** A blank line: the paragraph boundary. */
const BOUNDARY = /\n\s*\n/;

/** Cuts streamed reasoning into {@link ThinkingStep}s, one per paragraph. */
export class NativeStepper {
  /** The current paragraph up to its last non-whitespace character, in pieces. */
  private pieces: string[] = [];
  /** Whitespace after that character: a paragraph boundary may still complete in it. */
  private tail = '';
  private count = 0;

  constructor(private readonly firstStep = 1) {
    this.count = firstStep - 1;
  }

  /**
   * Feeds reasoning text; returns the steps completed by it. Only the new
   * text and the carried whitespace are searched, so a long paragraph costs
   * linear time (searching the whole growing paragraph per token did not).
   */
  push(text: string): ThinkingStep[] {
    const steps: ThinkingStep[] = [];
    let probe = this.tail + text;
    let boundary = BOUNDARY.exec(probe);
    while (boundary !== null) {
      this.pieces.push(probe.slice(0, boundary.index));
      const step = this.step(this.pieces.join(''));
      if (step !== undefined) steps.push(step);
      this.pieces = [];
      probe = probe.slice(boundary.index + boundary[0].length);
      boundary = BOUNDARY.exec(probe);
    }
    const content = probe.trimEnd();
    if (content !== '') this.pieces.push(content);
    this.tail = probe.slice(content.length);
    return steps;
  }

  /** Ends the reasoning: the unfinished paragraph becomes the last step. */
  flush(): ThinkingStep[] {
    const step = this.step(this.pieces.join(''));
    this.pieces = [];
    this.tail = '';
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
