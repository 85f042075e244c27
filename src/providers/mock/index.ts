/**
 * The built-in `mock` provider: used when no provider key is configured so that
 * every surface works offline. Streams the deterministic {@link mockScript} for
 * any model id, so a client written for a real model (a seed's
 * `openassistant-medium`, `anthropic/claude-3-opus` …) works unchanged; the
 * answer carries the model id it asked for. Model ids that name a reasoning
 * model ({@link streamsReasoning}: `mock-reasoner`, `deepseek-reasoner`,
 * `claude-3-7-sonnet-thinking` …) stream reasoning first.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatRequest, ModelInfo, Provider, StreamOptions, StreamPart } from '../types.js';
import { mockScript } from './script.js';

/** Settings of the built-in `mock` provider (PARLEY_MOCK_CHUNK_DELAY_MS). */
export interface MockProviderOptions {
  /** Pause between streamed chunks, ms. */
  chunkDelayMs: number;
}

/** Reasoning chunks a reasoning model streams before its answer. */
const REASONING_CHUNKS = 12;

/** The models `GET /models` lists; any other id is served too. */
const LISTED_MODELS = ['mock-model', 'mock-reasoner'];

/**
 * Whether the mock streams reasoning for `model`: when its name contains
 * `reason` or `think` (case-insensitive), as reasoning models' names do.
 */
export function streamsReasoning(model: string): boolean {
  return /reason|think/i.test(model);
}

/** Creates the built-in mock provider. */
export function createMockProvider(options: MockProviderOptions): Provider {
  return {
    name: 'mock',
    defaultModel: 'mock-model',
    async *stream(request: ChatRequest, streamOptions: StreamOptions): AsyncGenerator<StreamPart> {
      const script = mockScript(request, { reasoningChunks: streamsReasoning(request.model) ? REASONING_CHUNKS : 0 });
      const parts: StreamPart[] = [
        ...script.reasoning.map((text): StreamPart => ({ type: 'reasoning.delta', text })),
        ...script.content.map((text): StreamPart => ({ type: 'message.delta', text })),
      ];
      const { signal } = streamOptions;
      try {
        for (const part of parts) {
          if (options.chunkDelayMs > 0) await sleep(options.chunkDelayMs, undefined, { signal });
          if (signal.aborted) return;
          yield part;
        }
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      yield { type: 'usage', usage: script.usage };
      yield { type: 'finish', finish_reason: 'stop' };
    },
    listModels(): Promise<ModelInfo[]> {
      return Promise.resolve(LISTED_MODELS.map((id) => ({ id, owned_by: 'parley-mock' })));
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}
