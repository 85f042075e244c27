/** What every route registration receives: the core, built once per app. */
import type { Config } from '../config/types.js';
import type { ModelCatalog } from '../providers/model-catalog.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChatService } from '../runs/chat-service.js';
import type { RunManager } from '../runs/manager.js';
import type { Store } from '../store/index.js';

/** The core services behind the HTTP surfaces. */
export interface AppContext {
  config: Readonly<Config>;
  store: Store;
  registry: ProviderRegistry;
  models: ModelCatalog;
  runs: RunManager;
  chat: ChatService;
}
