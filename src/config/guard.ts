/**
 * Builds the guard rails' options (src/http/plugins/guard) and the content filter's
 * (src/runs/content-filter.ts) from the settings: key cache, rate limits,
 * trusted hosts, blocklist and moderation. The blocklist file is read here,
 * once, at startup.
 */
import { readFileSync } from 'node:fs';
import type { GuardConfig } from '../http/plugins/guard/options.js';
import type { ModerationConfig } from '../runs/content-filter.js';
import { ConfigError } from './errors.js';
import type { Settings } from './settings.js';

/** The items of a comma-separated list, trimmed, blanks dropped. */
export function commaList(value: string | undefined): string[] {
  return (value ?? '')
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

function trustedHosts(value: string): string[] {
  const hosts = commaList(value).map((host) => host.toLowerCase());
  const bad = hosts.find((host) => !HOST_PATTERN.test(host));
  if (bad !== undefined) throw new ConfigError('PARLEY_TRUSTED_HOSTS', `${JSON.stringify(bad)} is not a host name, *.domain, host:port or [IPv6]`);
  return hosts;
}

/**
 * Builds {@link GuardConfig} from the settings.
 * @throws ConfigError when the blocklist file cannot be read or a trusted host is malformed.
 */
export function buildGuardConfig(settings: Settings): GuardConfig {
  const blocklist = commaList(settings.blocklist);
  if (settings.blocklistFile !== undefined) blocklist.push(...readBlocklistFile(settings.blocklistFile));
  const moderation: ModerationConfig | undefined =
    settings.moderationUrl === undefined
      ? undefined
      : {
          url: settings.moderationUrl,
          apiKey: settings.moderationApiKey,
          model: settings.moderationModel,
          timeoutMs: settings.moderationTimeoutMs,
          failMode: settings.moderationFailMode,
        };
  return {
    keyCacheMs: settings.keyCacheSeconds * 1000,
    rateLimits: { ipPerMinute: settings.rateLimitIpPerMinute, keyPerMinute: settings.rateLimitKeyPerMinute },
    trustedHosts: trustedHosts(settings.trustedHosts),
    contentFilter: { blocklist: [...new Set(blocklist)], ...(moderation === undefined ? {} : { moderation }) },
  };
}
