/**
 * `GET {baseURL}/models` (https://platform.openai.com/docs/api-reference/models/list):
 * `{"object": "list", "data": [{"id", "object", "created", "owned_by", …}]}`.
 * OpenRouter's entries carry no `owned_by` but add `name`, `context_length`,
 * `pricing` …; those extra fields pass through untouched.
 */
import type { Agent } from 'undici';
import { request } from 'undici';
import { ParleyError } from '../../errors.js';
import type { ModelInfo } from '../types.js';
import type { OpenAICompatibleConfig } from './config.js';
import { fromHttpStatus, fromTransportError, type UpstreamCallContext } from './errors.js';
import { ERROR_BODY_LIMIT_BYTES, readBodyText } from './read-body.js';

/** OpenRouter's full list is a few MiB; anything far beyond that is not a model list. */
const MODEL_LIST_LIMIT_BYTES = 32 * 1024 * 1024;

/** What {@link listModels} needs from its provider. */
export interface ModelListContext {
  config: OpenAICompatibleConfig;
  agent: Agent;
  /** Base URL without a trailing slash. */
  baseURL: string;
  headers: Record<string, string>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(`${provider.baseURL}/models`, {
      method: 'GET',
      dispatcher: provider.agent,
      headers: provider.headers,
      headersTimeout: provider.config.firstByteTimeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    if (signal?.aborted === true) throw error;
    throw fromTransportError(error, context, false);
  }
  const limit = response.statusCode >= 200 && response.statusCode < 300 ? MODEL_LIST_LIMIT_BYTES : ERROR_BODY_LIMIT_BYTES;
  let text: string;
  try {
    const read = await readBodyText(response.body, limit);
    text = read.text;
    if (read.truncated && limit === MODEL_LIST_LIMIT_BYTES) {
      throw new ParleyError('upstream_bad_response', `Provider "${context.provider}" sent a model list over 32 MiB.`);
    }
  } catch (error) {
    if (error instanceof ParleyError) throw error;
    if (signal?.aborted === true) throw error;
    throw fromTransportError(error, context, true);
  } finally {
    if (!response.body.readableEnded) response.body.destroy();
  }
  if (limit === ERROR_BODY_LIMIT_BYTES) throw fromHttpStatus(response.statusCode, response.headers, text, context);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ParleyError('upstream_bad_response', `Provider "${context.provider}" sent a model list that is not JSON.`, { cause: error });
  }
  return toModelInfos(parsed, context);
}
