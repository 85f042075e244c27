/**
 * `GET /v1/models` (https://docs.anthropic.com/en/api/models-list):
 * `{"data": [{"type": "model", "id", "display_name", "created_at"}], "has_more", "last_id"}`,
 * paged with `limit` and `after_id`.
 */
import type { Dispatcher } from 'undici';
import { ParleyError } from '../../errors.js';
import { getJson, MODEL_LIST_LIMIT_BYTES } from '../provider-utils/get-json.js';
import { isRecord, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import type { ModelInfo } from '../types.js';
import { fromHttpError } from './errors.js';

/** Anthropic's largest page. */
const PAGE_SIZE = 1000;
/** Pages read at most: a server that always says `has_more` cannot loop forever. */
const MAX_PAGES = 10;

/** What {@link listAnthropicModels} needs. */
export interface AnthropicModelListCall {
  /** API root without `/v1`. */
  root: string;
  dispatcher: Dispatcher;
  headers: Record<string, string>;
  context: UpstreamCallContext;
  headersTimeoutMs: number;
}

/** One page's entries as {@link ModelInfo}s (`created` in Unix seconds) and where the next page starts. */
export function toModelPage(value: unknown, context: UpstreamCallContext): { models: ModelInfo[]; next: string | undefined } {
  const data = isRecord(value) ? value.data : undefined;
  if (!isRecord(value) || !Array.isArray(data)) {
    throw new ParleyError('upstream_bad_response', `Provider "${context.provider}" sent a model list without a data array.`);
  }
  const models: ModelInfo[] = [];
  for (const entry of data as unknown[]) {
    if (!isRecord(entry) || typeof entry.id !== 'string') continue;
    const created = typeof entry.created_at === 'string' ? Math.floor(Date.parse(entry.created_at) / 1000) : Number.NaN;
    models.push({
      id: entry.id,
      owned_by: 'anthropic',
      ...(typeof entry.display_name === 'string' ? { display_name: entry.display_name } : {}),
      ...(Number.isFinite(created) ? { created } : {}),
    });
  }
  const next = value.has_more === true && typeof value.last_id === 'string' ? value.last_id : undefined;
  return { models, next };
}

/**
 * Lists every model the key can use.
 * @throws ParleyError mapped by ./errors.ts, or `upstream_bad_response` for a malformed list.
 */
export async function listAnthropicModels(call: AnthropicModelListCall, signal?: AbortSignal): Promise<ModelInfo[]> {
  const models: ModelInfo[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(after === undefined ? {} : { after_id: after }) });
    const document = await getJson({
      url: `${call.root}/v1/models?${query.toString()}`,
      dispatcher: call.dispatcher,
      headers: call.headers,
      context: call.context,
      headersTimeoutMs: call.headersTimeoutMs,
      limitBytes: MODEL_LIST_LIMIT_BYTES,
      httpError: (status, headers, bodyText) => fromHttpError(status, headers, bodyText, call.context),
      ...(signal === undefined ? {} : { signal }),
    });
    const { models: pageModels, next } = toModelPage(document, call.context);
    models.push(...pageModels);
    if (next === undefined) break;
    after = next;
  }
  return models;
}
