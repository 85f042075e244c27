/**
 * `GET {baseURL}/models` (https://ai.google.dev/api/models#method:-models.list):
 * `{"models": [{"name": "models/gemini-2.5-flash", "displayName",
 * "supportedGenerationMethods", "inputTokenLimit", "outputTokenLimit"}], "nextPageToken"}`.
 * Only models that can `generateContent` are listed, by their id without `models/`.
 */
import type { Dispatcher } from 'undici';
import { ParleyError } from '../../errors.js';
import { getJson, MODEL_LIST_LIMIT_BYTES } from '../provider-utils/get-json.js';
import { isRecord, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import type { ModelInfo } from '../types.js';
import { fromHttpError } from './errors.js';

/** The Gemini API's largest page. */
const PAGE_SIZE = 1000;
/** Pages read at most: a server that always sends a page token cannot loop forever. */
const MAX_PAGES = 10;

/** What {@link listGoogleModels} needs. */
export interface GoogleModelListCall {
  /** Base URL with its version, without a trailing slash. */
  baseURL: string;
  dispatcher: Dispatcher;
  headers: Record<string, string>;
  context: UpstreamCallContext;
  headersTimeoutMs: number;
}

/** One page's chat models and the next page's token. */
export function toModelPage(value: unknown, context: UpstreamCallContext): { models: ModelInfo[]; next: string | undefined } {
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

/**
 * Lists the models the key can generate with.
 * @throws ParleyError mapped by ./errors.ts, or `upstream_bad_response` for a malformed list.
 */
export async function listGoogleModels(call: GoogleModelListCall, signal?: AbortSignal): Promise<ModelInfo[]> {
  const models: ModelInfo[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const query = new URLSearchParams({ pageSize: String(PAGE_SIZE), ...(pageToken === undefined ? {} : { pageToken }) });
    const document = await getJson({
      url: `${call.baseURL}/models?${query.toString()}`,
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
    pageToken = next;
  }
  return models;
}
