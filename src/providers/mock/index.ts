/**
 * The built-in `mock` provider: used when no provider key is configured so that
 * every surface works offline. Streams the deterministic {@link mockScript};
 * the model `mock-reasoner` also streams reasoning first.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockProviderConfig } from '../../config/types.js';
import { ParleyError } from '../../errors.js';
import type { ChatRequest, ModelInfo, Provider, StreamOptions, StreamPart } from '../types.js';
import { mockScript } from './script.js';

const MODELS: Record<string, { reasoningChunks: number }> = {
  'mock-model': { reasoningChunks: 0 },
  'mock-reasoner': { reasoningChunks: 12 },
};

/** Creates the built-in mock provider. */
export function createMockProvider(config: MockProviderConfig): Provider {
  return {
    name: 'mock',
    defaultModel: 'mock-model',
    async *stream(request: ChatRequest, options: StreamOptions): AsyncGenerator<StreamPart> {
      const model = MODELS[request.model];
      if (model === undefined) {
        yield { type: 'error', error: new ParleyError('model_not_found', `The model "${request.model}" does not exist on provider "mock"; available: ${Object.keys(MODELS).join(', ')}.`, { param: 'model' }) };
        return;
      }
      const script = mockScript(request, { reasoningChunks: model.reasoningChunks });
      const parts: StreamPart[] = [
        ...script.reasoning.map((text): StreamPart => ({ type: 'reasoning.delta', text })),
        ...script.content.map((text): StreamPart => ({ type: 'message.delta', text })),
      ];
      try {
        for (const part of parts) {
          if (config.chunkDelayMs > 0) await sleep(config.chunkDelayMs, undefined, { signal: options.signal });
          if (options.signal.aborted) return;
          yield part;
        }
      } catch (error) {
        if (options.signal.aborted) return;
        throw error;
      }
      yield { type: 'usage', usage: script.usage };
      yield { type: 'finish', finish_reason: 'stop' };
    },
    listModels(): Promise<ModelInfo[]> {
      return Promise.resolve(Object.keys(MODELS).map((id) => ({ id, owned_by: 'parley-mock' })));
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}
