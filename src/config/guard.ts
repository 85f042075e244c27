/**
 * The guard-rail part of the configuration (issue #4): key cache, rate limits,
 * trusted hosts and the content filter, built from the variables in
 * {@link VARIABLES} that feed it. The blocklist file is read here, once, at
 * startup.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './load.js';

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

/** Production guard rails. */
export interface GuardConfig {
  /** How long database keys are cached, ms; 0 reads them on every request. */
  keyCacheMs: number;
  /** Chat-starting requests per minute; 0 means no limit. */
  rateLimits: { ipPerMinute: number; keyPerMinute: number };
  /** Lowercase Host patterns; empty means any host is served. */
  trustedHosts: string[];
  contentFilter: ContentFilterConfig;
}

function commaList(value: unknown): string[] {
  return (typeof value === 'string' ? value : '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readBlocklistFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('PARLEY_BLOCKLIST_FILE', `cannot read ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const HOST_PATTERN = /^(\*\.)?([a-z0-9-]+\.)*[a-z0-9-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/;

function trustedHosts(value: unknown): string[] {
  const hosts = commaList(value).map((host) => host.toLowerCase());
  const bad = hosts.find((host) => !HOST_PATTERN.test(host));
  if (bad !== undefined) throw new ConfigError('PARLEY_TRUSTED_HOSTS', `${JSON.stringify(bad)} is not a host name, *.domain, host:port or [IPv6]`);
  return hosts;
}

/**
 * PARLEY_TRUST_PROXY as Fastify's `trustProxy` takes it: `true`/`false`, a
 * hop count, or comma-separated addresses/CIDRs. The variable's schema is a
 * union, which leaves the value a string; this gives it its type.
 */
export function parseTrustProxy(value: unknown): boolean | number | string {
  if (typeof value === 'boolean' || typeof value === 'number') return value;
  const text = String(value).trim();
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^\d+$/.test(text)) return Number(text);
  return text;
}

/**
 * Builds {@link GuardConfig} from the converted variable values.
 * @throws ConfigError when the blocklist file cannot be read or a trusted host is malformed.
 */
export function loadGuardConfig(settings: Readonly<Record<string, unknown>>): GuardConfig {
  const blocklist = commaList(settings.blocklist);
  if (typeof settings.blocklistFile === 'string') blocklist.push(...readBlocklistFile(settings.blocklistFile));
  const moderation: ModerationConfig | undefined =
    typeof settings.moderationUrl === 'string'
      ? {
          url: settings.moderationUrl,
          apiKey: typeof settings.moderationApiKey === 'string' ? settings.moderationApiKey : undefined,
          model: typeof settings.moderationModel === 'string' ? settings.moderationModel : undefined,
          timeoutMs: settings.moderationTimeoutMs as number,
          failMode: settings.moderationFailMode === 'closed' ? 'closed' : 'open',
        }
      : undefined;
  return {
    keyCacheMs: (settings.keyCacheSeconds as number) * 1000,
    rateLimits: { ipPerMinute: settings.rateLimitIpPerMinute as number, keyPerMinute: settings.rateLimitKeyPerMinute as number },
    trustedHosts: trustedHosts(settings.trustedHosts),
    contentFilter: { blocklist: [...new Set(blocklist)], ...(moderation === undefined ? {} : { moderation }) },
  };
}
