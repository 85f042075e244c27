/**
 * The content filter user text passes before it reaches a model: a blocklist
 * of words and phrases, then (when configured) a provider moderation call.
 * Called where user text enters the core: `ChatService.addUserMessage` for
 * every conversation surface, `RunManager.start` for stateless `/v1` runs.
 */
import { ParleyError } from '../errors.js';

/** Provider moderation (an OpenAI-compatible `POST /moderations` endpoint). */
export interface ModerationConfig {
  /** Full endpoint URL, e.g. `https://api.openai.com/v1/moderations`. */
  url: string;
  apiKey?: string;
  model?: string;
  timeoutMs: number;
  /** What an unreachable or broken endpoint means: `open` allows, `closed` rejects. */
  failMode: 'open' | 'closed';
}

/** What user text must pass before it reaches a model. */
export interface ContentFilterConfig {
  /** Blocked words and phrases, as written (matching is case-insensitive, whole-word). */
  blocklist: string[];
  moderation?: ModerationConfig;
}

/** Where the filter reports a moderation outage it lets through. */
export interface ContentFilterLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

/** Characters that render as nothing; stripped so `b\u200Bad` cannot slip past `bad`. */
const INVISIBLE = /[\u00AD\u200B-\u200D\u2060\uFEFF]/g;

function normalize(text: string): string {
  // NFKC folds look-alikes such as full-width letters onto their plain forms.
  return text.normalize('NFKC').replace(INVISIBLE, '');
}

/**
 * One case-insensitive regular expression matching any blocked term as whole
 * words: not preceded or followed by a letter, digit or underscore (Unicode-
 * aware), with any run of whitespace inside a phrase.
 */
function compileBlocklist(terms: readonly string[]): RegExp | undefined {
  const alternatives = terms
    .map((term) => normalize(term).trim())
    .filter((term) => term !== '')
    // Longest first, so a phrase wins over a word it starts with.
    .sort((left, right) => right.length - left.length)
    .map((term) => term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
  if (alternatives.length === 0) return undefined;
  return new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}_])`, 'iu');
}

/** The part of an OpenAI moderation response Parley reads. */
interface ModerationResponse {
  results: { flagged: boolean }[];
}

function isModerationResponse(value: unknown): value is ModerationResponse {
  if (typeof value !== 'object' || value === null || !('results' in value) || !Array.isArray(value.results)) return false;
  return value.results.every((result: unknown) => typeof result === 'object' && result !== null && 'flagged' in result && typeof result.flagged === 'boolean');
}

/** Checks user text against the blocklist and the moderation endpoint. */
export class ContentFilter {
  private readonly blocklist: RegExp | undefined;
  private readonly moderation: ModerationConfig | undefined;

  /**
   * @param logger receives the warning when moderation is unreachable and
   *   PARLEY_MODERATION_FAIL_MODE is `open`.
   */
  constructor(
    config: ContentFilterConfig,
    private readonly logger?: ContentFilterLogger,
  ) {
    this.blocklist = compileBlocklist(config.blocklist);
    this.moderation = config.moderation;
  }

  /** Whether any check is configured (otherwise {@link check} returns at once). */
  get active(): boolean {
    return this.blocklist !== undefined || this.moderation !== undefined;
  }

  /**
   * Passes when every text is acceptable.
   * @param param request field named in the error, e.g. `message` or `messages`.
   * @throws ParleyError `content_filtered` (400) when a text matches the blocklist
   *   or moderation flags it; `moderation_unavailable` (503) when moderation is
   *   unreachable and the fail mode is `closed`.
   */
  async check(texts: readonly string[], param = 'message'): Promise<void> {
    const nonEmpty = texts.filter((text) => text.trim() !== '');
    if (nonEmpty.length === 0) return;
    // The message deliberately does not say which term matched: that would
    // turn the filter into an oracle for probing the list.
    if (this.blocklist !== undefined && nonEmpty.some((text) => this.blocklist!.test(normalize(text)))) {
      throw new ParleyError('content_filtered', 'The message was rejected by the content filter.', { param });
    }
    if (this.moderation !== undefined && (await this.flagged(this.moderation, nonEmpty))) {
      throw new ParleyError('content_filtered', 'The message was rejected by content moderation.', { param });
    }
  }

  /**
   * Asks the moderation endpoint (OpenAI "Create moderation": `POST
   * {input: string[], model?}` → `{results: [{flagged}]}`) whether any text
   * is flagged. An outage resolves per the fail mode.
   */
  private async flagged(moderation: ModerationConfig, texts: string[]): Promise<boolean> {
    let response: ModerationResponse;
    try {
      const answer = await fetch(moderation.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(moderation.apiKey === undefined ? {} : { authorization: `Bearer ${moderation.apiKey}` }),
        },
        body: JSON.stringify({ input: texts, ...(moderation.model === undefined ? {} : { model: moderation.model }) }),
        signal: AbortSignal.timeout(moderation.timeoutMs),
      });
      if (!answer.ok) throw new Error(`moderation endpoint answered HTTP ${answer.status}`);
      const body: unknown = await answer.json();
      if (!isModerationResponse(body)) throw new Error('moderation endpoint sent no results[].flagged');
      response = body;
    } catch (error) {
      if (moderation.failMode === 'closed') {
        throw new ParleyError('moderation_unavailable', 'Content moderation is unavailable; the message was not accepted.', { cause: error });
      }
      this.logger?.warn({ err: error, url: moderation.url }, 'content moderation unreachable: message allowed (PARLEY_MODERATION_FAIL_MODE=open)');
      return false;
    }
    return response.results.some((result) => result.flagged);
  }
}
