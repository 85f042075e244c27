/**
 * `GET /usage`: the calling key's token usage, from the runs table (every
 * surface records one run per generation): totals, per model, per UTC day.
 */
import type { FastifyInstance } from 'fastify';
import { ParleyError } from '../../../errors.js';
import type { UsageRange } from '../../../services/usage.js';
import type { AppContext } from '../../context.js';

const day = { type: 'string', format: 'date', description: 'UTC day, YYYY-MM-DD (inclusive).' } as const;

const usageQuery = {
  type: 'object',
  properties: { from: day, to: day },
} as const;

const totalsProperties = {
  runs: { type: 'integer', description: 'Generations, whatever their outcome.' },
  prompt_tokens: { type: 'integer' },
  completion_tokens: { type: 'integer', description: 'Includes reasoning tokens.' },
  reasoning_tokens: { type: 'integer' },
  cached_tokens: { type: 'integer', description: 'Prompt tokens the provider served from its cache.' },
  total_tokens: { type: 'integer', description: 'prompt_tokens + completion_tokens.' },
  cached_answers: { type: 'integer', description: 'Answers replayed from the response cache: no provider call, so their tokens are in none of the counts above.' },
  saved_tokens: { type: 'integer', description: 'Tokens (prompt + completion) the originals of the cached answers cost, not spent again.' },
  cost_usd: { type: 'number', description: 'Sum of the costs providers reported (OpenRouter, xAI), USD; runs whose provider reports none add 0.' },
} as const;
const totalsRequired = Object.keys(totalsProperties);

const usageResponse = {
  type: 'object',
  required: ['from', 'to', 'totals', 'by_model', 'by_day'],
  properties: {
    from: { type: ['string', 'null'], description: 'The `from` asked for, or null.' },
    to: { type: ['string', 'null'], description: 'The `to` asked for, or null.' },
    totals: { type: 'object', required: totalsRequired, properties: totalsProperties },
    by_model: {
      type: 'array',
      items: {
        type: 'object',
        required: ['provider', 'model', ...totalsRequired],
        properties: { provider: { type: 'string' }, model: { type: 'string' }, ...totalsProperties },
      },
    },
    by_day: {
      type: 'array',
      items: {
        type: 'object',
        required: ['date', ...totalsRequired],
        properties: { date: { type: 'string', format: 'date' }, ...totalsProperties },
      },
    },
  },
} as const;

/** Registers `GET /usage`. */
export function registerUsageRoutes(app: FastifyInstance, context: AppContext): void {
  app.get<{ Querystring: UsageRange }>(
    '/usage',
    {
      schema: {
        tags: ['operations'],
        summary: "The calling key's token usage: totals, by model, by UTC day",
        querystring: usageQuery,
        response: { 200: usageResponse },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      if (from !== undefined && to !== undefined && from > to) {
        throw new ParleyError('validation_failed', 'querystring from must not be after to.', { param: 'from' });
      }
      const report = await context.usage.report(request.principal.ownerId, { from, to });
      return { from: from ?? null, to: to ?? null, ...report };
    },
  );
}
