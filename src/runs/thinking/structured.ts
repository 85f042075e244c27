/**
 * Structured thinking for models without native reasoning: one upstream call
 * whose system prompt asks for labelled sections, parsed incrementally. The
 * sections before ANSWER become thinking steps (and reasoning text); ANSWER is
 * streamed as the answer while it arrives; FOLLOWUPS and CONFIDENCE, when the
 * model gives them, fill `suggested_followups` and `confidence`. One call,
 * never one per step (DESIGN.md "Thinking").
 */
import type { ThinkingStep } from '../events.js';

/** The system prompt that asks for the sections. */
export const STRUCTURED_THINKING_PROMPT = [
  'Think before you answer, and format your whole reply as these labelled sections, each label at the start of its own line:',
  'ANALYZE: what is being asked and the key terms, in one or two sentences.',
  'THINK: your reasoning, in short paragraphs separated by blank lines.',
  'ANSWER: the answer for the user.',
  'FOLLOWUPS: up to three follow-up questions the user might ask next, one per line starting with "- ".',
  'CONFIDENCE: how sure you are of the answer, as a number from 0 to 1.',
].join('\n');

type Section = 'ANALYZE' | 'THINK' | 'ANSWER' | 'FOLLOWUPS' | 'CONFIDENCE';

const ALIASES: Record<string, Section> = {
  ANALYZE: 'ANALYZE',
  ANALYSIS: 'ANALYZE',
  THINK: 'THINK',
  THINKING: 'THINK',
  REASONING: 'THINK',
  ANSWER: 'ANSWER',
  'FINAL ANSWER': 'ANSWER',
  FOLLOWUPS: 'FOLLOWUPS',
  'FOLLOW-UPS': 'FOLLOWUPS',
  'FOLLOW-UP QUESTIONS': 'FOLLOWUPS',
  CONFIDENCE: 'CONFIDENCE',
};
/** A label line: optional markdown (`##`, `**`), the label, a colon. */
const LABEL = /^[#*_\s]*([A-Za-z][A-Za-z -]{1,24}?)[*_\s]*:[*_\s]*/;
const STATUS: Partial<Record<Section, { status: string; progress: number }>> = {
  ANALYZE: { status: 'analyzing', progress: 25 },
  THINK: { status: 'reasoning', progress: 50 },
};
/** Text before the first label that, once this long, means the model ignored the format. */
const PREAMBLE_LIMIT = 400;

/** What the parser produces while text streams in. */
export type StructuredOutput =
  | { type: 'reasoning.delta'; text: string }
  | { type: 'message.delta'; text: string }
  | { type: 'thinking.step'; step: ThinkingStep };

/** Values the model gave in FOLLOWUPS / CONFIDENCE; null and empty when it gave none. */
export interface StructuredMetadata {
  confidence: number | null;
  suggested_followups: string[];
}

function labelOf(name: string): Section | undefined {
  return ALIASES[name.trim().toUpperCase()];
}

/** Whether `line` could still become a label line once more text arrives. */
function couldBeLabel(line: string): boolean {
  const letters = line.replace(/^[#*_\s]+/, '').toUpperCase();
  if (letters.length > 26 || /[^A-Z -]/.test(letters.replace(/[*_\s]+$/, ''))) return false;
  const word = letters.replace(/[*_\s]+$/, '');
  return Object.keys(ALIASES).some((alias) => alias.startsWith(word));
}

/** Incremental parser of the structured reply. Feed content with push, end with flush. */
export class StructuredThinkingParser {
  private section: Section | undefined;
  private unstructured = false;
  private pending = '';
  private atLineStart = true;
  private preamble = '';
  private paragraph = '';
  private heldWhitespace = '';
  private answerStarted = false;
  private extra = '';
  private stepCount = 0;
  private readonly metadata: StructuredMetadata = { confidence: null, suggested_followups: [] };

  /** Feeds answer text from the provider. */
  push(text: string): StructuredOutput[] {
    const output: StructuredOutput[] = [];
    if (this.unstructured) return this.answer(text, output);
    this.pending += text;
    while (this.pending !== '') {
      if (this.atLineStart) {
        const newline = this.pending.indexOf('\n');
        const line = newline < 0 ? this.pending : this.pending.slice(0, newline);
        const match = LABEL.exec(line);
        const section = match === null ? undefined : labelOf(match[1]!);
        if (section !== undefined && match !== null) {
          this.enter(section, output);
          this.pending = this.pending.slice(match[0].length);
          this.atLineStart = false;
          continue;
        }
        if (newline < 0 && couldBeLabel(line)) break;
        this.atLineStart = false;
      }
      const newline = this.pending.indexOf('\n');
      const piece = newline < 0 ? this.pending : this.pending.slice(0, newline + 1);
      this.pending = this.pending.slice(piece.length);
      this.atLineStart = newline >= 0;
      this.content(piece, output);
      if (this.unstructured) {
        const rest = this.pending;
        this.pending = '';
        return this.answer(rest, output);
      }
    }
    return output;
  }

  /** Ends the reply; returns the last outputs. */
  flush(): StructuredOutput[] {
    const output: StructuredOutput[] = [];
    if (this.pending !== '') {
      const rest = this.pending;
      this.pending = '';
      this.atLineStart = false;
      this.content(rest, output);
    }
    if (this.section === undefined && this.preamble !== '') {
      // No label ever came: the whole reply was the answer.
      this.unstructured = true;
      this.answer(this.preamble, output);
      this.preamble = '';
    }
    this.closeSection(output);
    return output;
  }

  /** FOLLOWUPS and CONFIDENCE as parsed so far (complete after flush). */
  get result(): StructuredMetadata {
    return this.metadata;
  }

  private content(text: string, output: StructuredOutput[]): void {
    switch (this.section) {
      case undefined:
        this.preamble += text;
        if (this.preamble.length > PREAMBLE_LIMIT) {
          this.unstructured = true;
          const preamble = this.preamble;
          this.preamble = '';
          this.answer(preamble, output);
        }
        return;
      case 'ANSWER':
        this.answer(text, output);
        return;
      case 'FOLLOWUPS':
      case 'CONFIDENCE':
        this.extra += text;
        return;
      default:
        output.push({ type: 'reasoning.delta', text });
        this.paragraph += text;
        this.cutParagraphs(output, false);
    }
  }

  /** Streams answer text, holding back trailing whitespace until more text follows it. */
  private answer(text: string, output: StructuredOutput[]): StructuredOutput[] {
    let chunk = this.heldWhitespace + text;
    if (!this.answerStarted) chunk = chunk.replace(/^\s+/, '');
    const trailing = /\s*$/.exec(chunk)?.[0] ?? '';
    this.heldWhitespace = trailing;
    const visible = chunk.slice(0, chunk.length - trailing.length);
    if (visible !== '') {
      this.answerStarted = true;
      output.push({ type: 'message.delta', text: visible });
    }
    return output;
  }

  private enter(section: Section, output: StructuredOutput[]): void {
    this.closeSection(output);
    if (this.section === undefined && this.preamble.trim() !== '' && section !== 'ANSWER') {
      this.paragraph = this.preamble;
    }
    this.preamble = '';
    this.section = section;
  }

  private closeSection(output: StructuredOutput[]): void {
    if (this.section === 'ANALYZE' || this.section === 'THINK') this.cutParagraphs(output, true);
    if (this.section === 'FOLLOWUPS') {
      this.metadata.suggested_followups = this.extra
        .split('\n')
        .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '').trim())
        .filter((line) => line !== '')
        .slice(0, 10);
    }
    if (this.section === 'CONFIDENCE') {
      const match = /(\d+(?:\.\d+)?)\s*(%?)/.exec(this.extra);
      if (match !== null) {
        const value = Number(match[1]) / (match[2] === '%' || Number(match[1]) > 1 ? 100 : 1);
        if (value >= 0 && value <= 1) this.metadata.confidence = value;
      }
    }
    this.extra = '';
  }

  private cutParagraphs(output: StructuredOutput[], final: boolean): void {
    const parts = this.paragraph.split(/\n\s*\n/);
    const complete = final ? parts : parts.slice(0, -1);
    this.paragraph = final ? '' : (parts.at(-1) ?? '');
    const kind = STATUS[this.section ?? 'THINK'] ?? STATUS.THINK!;
    for (const text of complete) {
      const message = text.trim();
      if (message === '') continue;
      this.stepCount += 1;
      output.push({
        type: 'thinking.step',
        step: { step: this.stepCount, status: kind.status, message, progress: kind.progress, timestamp: new Date().toISOString() },
      });
    }
  }
}
