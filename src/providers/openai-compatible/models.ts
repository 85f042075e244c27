/**
 * `GET {baseURL}/models` (https://platform.openai.com/docs/api-reference/models/list):
 * `{"object": "list", "data": [{"id", "object", "created", "owned_by", …}]}`.
 * OpenRouter's entries carry no `owned_by` but add `name`, `context_length`,
 * `pricing` …; those extra fields pass through untouched.
 */
import type { Dispatcher } from 'undici';
import { ParleyError } from '../../errors.js';
import { getJson, MODEL_LIST_LIMIT_BYTES } from '../provider-utils/get-json.js';
import { isRecord, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import type { ModelInfo } from '../types.js';
import type { OpenAICompatibleConfig } from './config.js';
import { fromHttpStatus } from './errors.js';

/** What {@link listModels} needs from its provider. */
export interface ModelListContext {
  config: OpenAICompatibleConfig;
  dispatcher: Dispatcher;
  /** Base URL without a trailing slash. */
  baseURL: string;
  headers: Record<string, string>;
}

/**
 * Maps a parsed model list to {@link ModelInfo}s: `{id, owned_by, ...rest}`.
 * Entries without a string `id` are skipped; a missing `owned_by` becomes the
 * provider's name.
 *
 * @throws ParleyError `upstream_bad_response` when `data` is not an array.
 */
export function toModelInfos(value: unknown, context: UpstreamCallContext): ModelInfo[] {
  const data = isRecord(value) ? value.data : undefined;
  if (!Array.isArray(data)) {
    throw new ParleyError('upstream_bad_response', `Provider "${context.provider}" sent a model list without a data array.`);
  }
  const models: ModelInfo[] = [];
  for (const entry of data as unknown[]) {
    if (!isRecord(entry) || typeof entry.id !== 'string') continue;
    const ownedBy = typeof entry.owned_by === 'string' ? entry.owned_by : context.provider;
    models.push({ ...entry, id: entry.id, owned_by: ownedBy });
  }
  return models;
}

/**
 * Lists the provider's models. The response headers must arrive within
 * `firstByteTimeoutMs`.
 *
 * @param signal aborts the call; its abort reason is rethrown as is.
 * @throws ParleyError mapped by ./errors.ts (`upstream_auth_failed`,
 *   `upstream_rate_limited`, `upstream_unavailable`, `upstream_timeout`,
 *   `upstream_bad_response` …).
 */
export async function listModels(provider: ModelListContext, signal?: AbortSignal): Promise<ModelInfo[]> {
  const context: UpstreamCallContext = { provider: provider.config.name, apiKey: provider.config.apiKey };
  const document = await getJson({
    url: `${provider.baseURL}/models`,
    dispatcher: provider.dispatcher,
    headers: provider.headers,
    context,
    headersTimeoutMs: provider.config.firstByteTimeoutMs,
    limitBytes: MODEL_LIST_LIMIT_BYTES,
    httpError: (status, headers, bodyText) => fromHttpStatus(status, headers, bodyText, context),
    ...(signal === undefined ? {} : { signal }),
  });
  return toModelInfos(document, context);
}
