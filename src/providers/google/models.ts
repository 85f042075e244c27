/**
 * `GET {baseURL}/models` (https://ai.google.dev/api/models#method:-models.list):
 * `{"models": [{"name": "models/gemini-2.5-flash", "displayName",
 * "supportedGenerationMethods", "inputTokenLimit", "outputTokenLimit"}], "nextPageToken"}`.
 * Only models that can `generateContent` are listed, by their id without `models/`.
 */
import { ParleyError } from '../../errors.js';
import type { ModelPage } from '../provider-utils/http-provider.js';
import { isRecord, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import type { ModelInfo } from '../types.js';

/** The Gemini API's largest page. */
const PAGE_SIZE = 1000;

/** URL of the page `pageToken` (undefined: the first page) below the versioned base URL (no trailing slash). */
export function modelPageUrl(baseURL: string, pageToken: string | undefined): string {
  const query = new URLSearchParams({ pageSize: String(PAGE_SIZE), ...(pageToken === undefined ? {} : { pageToken }) });
  return `${baseURL}/models?${query.toString()}`;
}

/** One page's chat models and the next page's token. */
export function toModelPage(value: unknown, context: UpstreamCallContext): ModelPage {
  const entries = isRecord(value) ? value.models : undefined;
  if (!isRecord(value) || (entries !== undefined && !Array.isArray(entries))) {
    throw new ParleyError('upstream_bad_response', `Provider "${context.provider}" sent a model list without a models array.`);
  }
  const models: ModelInfo[] = [];
  for (const entry of (entries ?? []) as unknown[]) {
    if (!isRecord(entry) || typeof entry.name !== 'string') continue;
    const methods = Array.isArray(entry.supportedGenerationMethods) ? (entry.supportedGenerationMethods as unknown[]) : [];
    if (!methods.includes('generateContent')) continue;
    models.push({
      id: entry.name.replace(/^models\//, ''),
      owned_by: 'google',
      ...(typeof entry.displayName === 'string' ? { display_name: entry.displayName } : {}),
      ...(typeof entry.inputTokenLimit === 'number' ? { context_length: entry.inputTokenLimit } : {}),
      ...(typeof entry.outputTokenLimit === 'number' ? { max_output_tokens: entry.outputTokenLimit } : {}),
    });
  }
  const next = typeof value.nextPageToken === 'string' && value.nextPageToken !== '' ? value.nextPageToken : undefined;
  return { models, next };
}
