/**
 * The standalone mock upstream: an HTTP server on bare node:http (it is the
 * baseline Parley's own overhead is benchmarked against) that speaks the OpenAI,
 * Anthropic Messages or Gemini API (see ./dialect.ts), streams the deterministic
 * mock script or a recorded provider stream, injects faults on demand, and
 * records every request for assertions.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { anthropicDialect } from './anthropic-dialect.js';
import type { ChatRoute, JsonAnswer, MockDialect } from './dialect.js';
import { geminiDialect } from './gemini-dialect.js';
// Admin routes and internal failures answer in OpenAI's error shape whatever the mode.
import { openAIDialect, openAIError } from './openai-dialect.js';
import { configuredFault, DEFAULT_MOCK_UPSTREAM_OPTIONS, MOCK_MODES, parseOptionsPatch } from './options.js';
import type { Fault, MockMode, MockUpstreamOptions } from './options.js';
import { loadReplay } from './replay.js';
import type { Replay } from './replay.js';
import { parseJson, readBody, sendJson, sseHeaders, startAfter, writeStream } from './wire.js';

const DIALECTS: Record<MockMode, MockDialect> = { openai: openAIDialect, anthropic: anthropicDialect, gemini: geminiDialect };

function answer(response: ServerResponse, reply: JsonAnswer): void {
  sendJson(response, reply.status, reply.body, reply.headers);
}

/** One request the mock received (admin `/mock/*` requests are not recorded). */
export interface RecordedRequest {
  method: string;
  /** Path with query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text if it was not JSON; undefined if empty. */
  body: unknown;
  /** The client closed the connection before the response finished. */
  aborted: boolean;
  /** The response was written completely. */
  completed: boolean;
  /** The fault injected into this request, if any. */
  fault?: Fault['kind'];
}

/** `GET /mock/connections`: the TCP connections clients opened to the mock. */
export interface MockConnectionCounts {
  /** Connections accepted since the start. */
  accepted: number;
  /** Connections open now. */
  open: number;
  /** Open connections that have not carried a single request (a client opened them for nothing). */
  neverUsed: number;
}

/** A running mock upstream. */
export interface MockUpstream {
  /**
   * Base URL for the mode's clients: `http://127.0.0.1:8787/v1` (OpenAI),
   * `http://127.0.0.1:8787` (Anthropic, as its SDKs take it), `…/v1beta` (Gemini).
   */
  url: string;
  /** The bound port (useful with `port: 0`). */
  port: number;
  /** The effective options (a copy). */
  readonly options: MockUpstreamOptions;
  /**
   * Changes options for the requests that arrive from now on; `null` or
   * `undefined` clears an optional field. Throws TypeError on an invalid or
   * unchangeable field (`host`, `port`, `mode`), Error if a `replayFile` cannot be loaded.
   */
  setOptions(patch: Partial<MockUpstreamOptions>): void;
  /** Every non-admin request so far, live (cleared in place by `reset`). */
  requests: RecordedRequest[];
  /** Clears `requests` and restores the startup options. */
  reset(): void;
  /** Stops listening and destroys open connections, stalled streams included. */
  close(): Promise<void>;
}

/** Options plus the recording they name, swapped as one so a request sees a consistent pair. */
interface Live {
  options: MockUpstreamOptions;
  replay: Replay | undefined;
}

/**
 * Starts a mock upstream; fields left out take {@link DEFAULT_MOCK_UPSTREAM_OPTIONS}.
 * Resolves once listening. Rejects with TypeError on invalid options, Error if
 * `replayFile` cannot be loaded, or the listen error (e.g. EADDRINUSE).
 */
export async function startMockUpstream(options: Partial<MockUpstreamOptions> = {}): Promise<MockUpstream> {
  const { host = DEFAULT_MOCK_UPSTREAM_OPTIONS.host, port = DEFAULT_MOCK_UPSTREAM_OPTIONS.port, mode = DEFAULT_MOCK_UPSTREAM_OPTIONS.mode, ...rest } = options;
  if (typeof host !== 'string' || host === '') throw new TypeError('option "host" must be a non-empty string');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new TypeError('option "port" must be 0-65535');
  if (!MOCK_MODES.includes(mode)) throw new TypeError(`option "mode" must be one of ${MOCK_MODES.join(', ')}`);
  const dialect = DIALECTS[mode];
  const startup: MockUpstreamOptions = { ...DEFAULT_MOCK_UPSTREAM_OPTIONS, host, port, mode, ...parseOptionsPatch(rest) };
  const initial: Live = { options: startup, replay: startup.replayFile ? loadReplay(startup.replayFile) : undefined };
  let live = initial;
  const requests: RecordedRequest[] = [];
  let completions = 0;
  let modelsCache: { models: string[]; body: string } | undefined;
  // Requests whose socket the server destroyed on purpose: those are not client aborts.
  const dropped = new WeakSet<RecordedRequest>();

  const setOptions = (patch: Partial<MockUpstreamOptions>): void => {
    const parsed = parseOptionsPatch(patch);
    const next = { ...live.options, ...parsed };
    const replay = !('replayFile' in parsed)
      ? live.replay
      : next.replayFile === undefined
        ? undefined
        : loadReplay(next.replayFile);
    live = { options: next, replay };
  };

  /** The fault for the next chat request; counts down `faultTimes` and clears the fault at zero. */
  const takeFault = (): Fault | undefined => {
    const { options: current } = live;
    const fault = configuredFault(current);
    if (fault === undefined || current.faultTimes === undefined) return fault;
    const remaining = current.faultTimes - 1;
    const cleared = { failStatus: undefined, stallAfter: undefined, dropAfter: undefined, malformedAfter: undefined, errorEventAfter: undefined };
    live = {
      ...live,
      options: remaining > 0 ? { ...current, faultTimes: remaining } : { ...current, ...cleared, faultTimes: undefined },
    };
    return fault;
  };

  const modelsBody = (models: string[]): string => {
    if (modelsCache?.models !== models) modelsCache = { models, body: dialect.modelsBody(models) };
    return modelsCache.body;
  };

  const handleChat = (response: ServerResponse, record: RecordedRequest, request: IncomingMessage, raw: string, route: ChatRoute, snapshot: Live): void => {
    const parsed = parseJson(raw);
    if (!parsed.ok) {
      answer(response, dialect.invalidJson());
      return;
    }
    const chat = dialect.parseChat(parsed.value, route, request.headers);
    if ('status' in chat) {
      answer(response, chat);
      return;
    }
    const { options, replay } = snapshot;
    if (replay === undefined && options.unknownModel404 && !options.models.includes(chat.request.model)) {
      answer(response, dialect.unknownModel(chat.request.model));
      return;
    }
    const fault = takeFault();
    if (fault !== undefined) record.fault = fault.kind;
    if (fault?.kind === 'status') {
      answer(response, dialect.statusFault(fault.status, options.retryAfterSeconds));
      return;
    }
    const identity = { id: `${dialect.idPrefix}${(completions += 1)}`, created: Math.floor(Date.now() / 1000), model: chat.request.model };
    const onDrop = (): void => {
      dropped.add(record);
    };

    startAfter(response, options.ttftMs, () => {
      if (!chat.stream) {
        if (fault === undefined) sendJson(response, 200, replay?.completion ?? dialect.scriptedCompletion(chat.request, identity, options));
        else if (fault.kind === 'malformed') sendJson(response, 200, '{not json');
        else if (fault.kind === 'error-event') answer(response, dialect.errorEventAnswer());
        else if (fault.kind === 'drop') {
          onDrop();
          response.destroy();
        }
        // A stalled non-streaming answer never comes; the client's timeout has to fire.
        return;
      }
      const frames = replay ?? dialect.scriptedFrames(chat.request, identity, options, chat.includeUsage);
      response.writeHead(200, sseHeaders(response));
      writeStream(response, {
        frames: frames.frames,
        terminator: frames.terminator,
        body: replay?.body,
        intervalMs: options.tokenRate > 0 ? 1000 / options.tokenRate : 0,
        fault,
        errorFrame: dialect.errorFrame,
        onDrop,
      });
    });
  };

  const handleAdmin = async (request: IncomingMessage, response: ServerResponse, path: string): Promise<void> => {
    const route = `${request.method ?? ''} ${path}`;
    if (route === 'POST /mock/options') {
      const parsed = parseJson(await readBody(request));
      try {
        if (!parsed.ok) throw new TypeError('options patch is not valid JSON');
        setOptions(parsed.value as Partial<MockUpstreamOptions>);
      } catch (error) {
        sendJson(response, 400, openAIError((error as Error).message, 'invalid_request_error', 'invalid_options'));
        return;
      }
    } else if (route === 'POST /mock/reset') {
      requests.length = 0;
      live = initial;
    } else if (route === 'GET /mock/requests') {
      sendJson(response, 200, JSON.stringify(requests));
      return;
    } else if (route === 'GET /mock/connections') {
      sendJson(response, 200, JSON.stringify(connectionCounts()));
      return;
    } else if (route !== 'GET /mock/options') {
      sendJson(response, 404, openAIError(`Unknown admin route ${route}.`, 'invalid_request_error', 'not_found'));
      return;
    }
    sendJson(response, 200, JSON.stringify(live.options));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path.startsWith('/mock/')) return handleAdmin(request, response, path);

    const record: RecordedRequest = {
      method: request.method ?? '',
      path: url,
      headers: request.headers,
      body: undefined,
      aborted: false,
      completed: false,
    };
    requests.push(record);
    response.once('close', () => {
      record.completed = response.writableFinished;
      record.aborted = !response.writableFinished && !dropped.has(record);
    });
    const raw = await readBody(request);
    if (raw !== '') {
      const parsed = parseJson(raw);
      record.body = parsed.ok ? parsed.value : raw;
    }

    const snapshot = live;
    const { apiKey } = snapshot.options;
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    if (dialect.isApiPath(path) && apiKey !== undefined && !dialect.authorized(request.headers, query, apiKey)) {
      answer(response, dialect.unauthorized(request.headers, query));
      return;
    }
    const method = request.method ?? '';
    const chatRoute = dialect.chatRoute(method, path, query);
    if (dialect.modelsRoute(method, path)) sendJson(response, 200, modelsBody(snapshot.options.models));
    else if (chatRoute !== undefined) handleChat(response, record, request, raw, chatRoute, snapshot);
    else answer(response, dialect.notFound(`${method} ${path}`));
  };

  // Requests served per open socket: a client that opens connections it never uses shows up here.
  const sockets = new Map<Socket, number>();
  let accepted = 0;
  const connectionCounts = (): MockConnectionCounts => {
    let neverUsed = 0;
    for (const served of sockets.values()) if (served === 0) neverUsed += 1;
    return { accepted, open: sockets.size, neverUsed };
  };

  const server = createServer((request, response) => {
    sockets.set(request.socket, (sockets.get(request.socket) ?? 0) + 1);
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent || response.destroyed) {
        response.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      sendJson(response, 500, openAIError(`Mock upstream error: ${message}`, 'server_error', 'internal_error'));
    });
  });
  server.on('connection', (socket: Socket) => {
    accepted += 1;
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
  });
  // Longer than typical client pools' idle timeouts, so clients never reuse a socket the server is closing.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: load tests open thousands of upstream connections at once (Node's default is 511).
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${bound}${dialect.basePath}`,
    port: bound,
    get options() {
      return { ...live.options, models: [...live.options.models] };
    },
    setOptions,
    requests,
    reset() {
      requests.length = 0;
      live = initial;
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
