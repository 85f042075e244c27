/**
 * Splits `<think>…</think>` reasoning out of streamed answer text. DeepSeek-R1
 * and Qwen3 served by Ollama, vLLM (without a reasoning parser) or llama.cpp put
 * their reasoning inline in `content`; hosted APIs send it in a separate field
 * instead, and for them this splitter passes everything through unchanged.
 */

const OPEN_TAG = '<think>';
const CLOSE_TAG = '</think>';

/** Text separated from one pushed piece of content; either side may be empty. */
export interface SplitText {
  reasoning: string;
  content: string;
}

type State =
  /** Nothing but whitespace seen yet: a `<think>` may still open the answer. */
  | 'start'
  /** Just after `<think>`: leading whitespace of the reasoning is dropped. */
  | 'reasoning-start'
  | 'reasoning'
  /** Just after `</think>`: the blank lines between reasoning and answer are dropped. */
  | 'answer-start'
  | 'answer';

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialTagSuffix(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length -= 1) {
    if (text.endsWith(tag.slice(0, length))) return length;
  }
  return 0;
}

/**
 * Stateful splitter for one answer stream. Push each content delta in order;
 * call {@link ThinkSplitter.flush} once at the end.
 *
 * Rules:
 * - `<think>` counts only at the very start of the answer (after optional
 *   whitespace): a model that merely mentions the tag later in prose keeps every
 *   character of it as content.
 * - Tags may be split across pushes (`"<thi"` + `"nk>"`); text that might be the
 *   start of a tag is held back until the next push decides, so no push ever
 *   returns half a tag.
 * - Whitespace before `<think>`, right after it and between `</think>` and the
 *   answer is formatting, not text, and is dropped.
 * - At the end, a held-back partial `<think>` that never completed is content;
 *   an unterminated reasoning section stays reasoning.
 */
export class ThinkSplitter {
  private state: State = 'start';
  /** Text held back because it may be (the start of) a tag. */
  private pending = '';

  /**
   * Feeds one content delta.
   * @returns the reasoning and content that can be emitted now.
   */
  push(text: string): SplitText {
    const output: SplitText = { reasoning: '', content: '' };
    let input = this.pending + text;
    this.pending = '';
    // Each pass either finishes the input or moves to a later state, so this ends.
    while (input !== '') {
      switch (this.state) {
        case 'start': {
          const body = input.trimStart();
          if (body.startsWith(OPEN_TAG)) {
            this.state = 'reasoning-start';
            input = body.slice(OPEN_TAG.length);
          } else if (OPEN_TAG.startsWith(body)) {
            // Only whitespace, or whitespace plus a partial tag: undecided yet.
            this.pending = input;
            input = '';
          } else {
            this.state = 'answer';
          }
          break;
        }
        case 'reasoning-start':
        case 'answer-start': {
          const body = input.trimStart();
          if (body === '') {
            input = '';
          } else {
            this.state = this.state === 'reasoning-start' ? 'reasoning' : 'answer';
            input = body;
          }
          break;
        }
        case 'reasoning': {
          const closeAt = input.indexOf(CLOSE_TAG);
          if (closeAt >= 0) {
            output.reasoning += input.slice(0, closeAt);
            input = input.slice(closeAt + CLOSE_TAG.length);
            this.state = 'answer-start';
          } else {
            const held = partialTagSuffix(input, CLOSE_TAG);
            output.reasoning += input.slice(0, input.length - held);
            this.pending = input.slice(input.length - held);
            input = '';
          }
          break;
        }
        case 'answer': {
          output.content += input;
          input = '';
          break;
        }
      }
    }
    return output;
  }

  /**
   * Ends the stream (or a stretch of it, e.g. at `finish_reason`): returns
   * whatever was held back. Text pushed afterwards is never taken for an
   * opening `<think>`, since the answer has already begun.
   */
  flush(): SplitText {
    const pending = this.pending;
    this.pending = '';
    if (this.state === 'reasoning') return { reasoning: pending, content: '' };
    if (this.state === 'start') {
      this.state = 'answer';
      return { reasoning: '', content: pending };
    }
    return { reasoning: '', content: '' };
  }
}
