/**
 * `GET /v1/models` (https://docs.anthropic.com/en/api/models-list):
 * `{"data": [{"type": "model", "id", "display_name", "created_at"}], "has_more", "last_id"}`,
 * paged with `limit` and `after_id`.
 */
import { ParleyError } from '../../errors.js';
import type { ModelPage } from '../provider-utils/http-provider.js';
import { isRecord, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import type { ModelInfo } from '../types.js';

/** Anthropic's largest page. */
const PAGE_SIZE = 1000;

/** URL of the page after model `afterId` (undefined: the first page) below the API root (without `/v1`). */
export function modelPageUrl(root: string, afterId: string | undefined): string {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(afterId === undefined ? {} : { after_id: afterId }) });
  return `${root}/v1/models?${query.toString()}`;
}

/** One page's entries as {@link ModelInfo}s (`created` in Unix seconds) and where the next page starts. */
export function toModelPage(value: unknown, context: UpstreamCallContext): ModelPage {
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
