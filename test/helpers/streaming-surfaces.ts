/**
 * Every streaming surface, enrolled in the shared contract suite
 * (test/streaming-contract.test.ts). An entry says how a client of that
 * surface starts an answer, reads its frames, resumes, and what a frame
 * means; the suite asserts the same contract over all of them. A new surface
 * joins by adding one entry here.
 */
import { createParser } from 'eventsource-parser';
import { ChatSocket, ENDINGS } from './chat-socket.js';

/** One frame of a stream as the client received it: SSE's fields, or a WebSocket message as `data` with its `seq` as `id`. */
export interface ContractFrame {
  id?: string;
  event?: string;
  data: string;
}

/** How a run ended, as a terminal frame says it. */
export type Ending = 'completed' | 'cancelled' | 'failed';

/** A stream a client opened. */
export interface OpenedStream {
  /** 200 once the stream is open; otherwise the error status, with the JSON error code. */
  status: number;
  errorCode?: string;
  /** The frames, in order, until the server ends the stream. */
  frames: AsyncIterator<ContractFrame>;
  /** Goes away without a word (a dropped connection). */
  drop(): Promise<void>;
  /** Stops the run through the stream itself, for surfaces that can (a WebSocket `cancel` message). */
  cancel?(): Promise<void>;
}

/** What an entry knows of the server it talks to. */
export interface SurfaceServer {
  url: string;
}

/** One enrolled surface. */
export interface StreamingSurface {
  name: string;
  /** Whether a client can reconnect and resume (false: `/v1`, stateless like OpenAI's API). */
  resumable: boolean;
  /** What a client leaving does to its run. */
  disconnect: 'continues' | 'cancels';
  /** How a provider failure before the first token reaches the client: an HTTP status, or a frame of a 200 stream. */
  earlyFailure: 'status' | 'event';
  /** Whether the terminal frame of a stopped run says so (OpenAI's format cannot: it finishes with `stop`). */
  showsCancel: boolean;
  /** Starts an answer to `prompt` in the session (conversation) `session`, and opens its stream. */
  open(server: SurfaceServer, prompt: string, session: string): Promise<OpenedStream>;
  /** Reopens run `runId` after frame `after` (from its start without one), as a reconnecting client of the surface does. */
  resume(server: SurfaceServer, prompt: string, session: string, runId: string, after: ContractFrame | undefined): Promise<OpenedStream>;
  /** The run a frame belongs to, when the frame says. */
  runOf(frame: ContractFrame): string | undefined;
  /** The ending a terminal frame announces; undefined for any other frame. */
  ending(frame: ContractFrame): Ending | undefined;
  /** The answer text the frames carry. */
  text(frames: readonly ContractFrame[]): string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Requests an SSE stream; `drop` aborts the request, closing the connection as a client that goes away does. */
async function sseStream(url: string, init: RequestInit = {}): Promise<OpenedStream> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const drop = () => {
    controller.abort();
    return Promise.resolve();
  };
  if (response.status !== 200) {
    const body = (await response.json()) as { error?: { code?: string } };
    return { status: response.status, errorCode: body.error?.code, frames: (async function* () {})(), drop };
  }
  const frames = (async function* (): AsyncGenerator<ContractFrame> {
    const queue: ContractFrame[] = [];
    const parser = createParser({ onEvent: (message) => queue.push({ id: message.id, event: message.event, data: message.data }) });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) {
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
        while (queue.length > 0) yield queue.shift()!;
      }
    } catch {
      // A dropped connection ends the frames.
    }
    while (queue.length > 0) yield queue.shift()!;
  })();
  return { status: 200, frames, drop };
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<OpenedStream> {
  return sseStream(url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });
}

/** `Last-Event-ID` for a resume after `after`, or from the run's start. */
function lastEventId(runId: string, after: ContractFrame | undefined): Record<string, string> {
  return { 'last-event-id': after?.id ?? `${runId}:0` };
}

function runOfEventId(frame: ContractFrame): string | undefined {
  return frame.id?.split(':')[0];
}

function json(frame: ContractFrame): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(frame.data);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The `field` texts of the JSON frames whose `type` is `type`, joined (WebSocket messages, AI SDK chunks). */
function typedText(frames: readonly ContractFrame[], type: string, field: string): string {
  return frames
    .map((frame) => json(frame))
    .filter((body) => body?.type === type)
    .map((body) => body![field] as string)
    .join('');
}

/** The ending of a `{done: true, …}` frame (seeds 001 and 004). */
function doneEnding(frame: ContractFrame): Ending | undefined {
  const body = json(frame);
  if (body?.done !== true) return undefined;
  if (body.cancelled === true) return 'cancelled';
  return body.error === undefined ? 'completed' : 'failed';
}

/** Seed 001: `GET /conversations/{id}/stream` after posting the message; resumed with `Last-Event-ID`. */
const conversations: StreamingSurface = {
  name: 'conversations SSE (seed 001)',
  resumable: true,
  disconnect: 'continues',
  earlyFailure: 'status',
  showsCancel: true,
  async open(server, prompt) {
    const conversation = (await (await fetch(`${server.url}/conversations`, { method: 'POST', headers: JSON_HEADERS, body: '{}' })).json()) as { id: string };
    await fetch(`${server.url}/conversations/${conversation.id}/messages`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ message: prompt }) });
    return sseStream(`${server.url}/conversations/${conversation.id}/stream`);
  },
  async resume(server, _prompt, _session, runId, after) {
    const run = (await (await fetch(`${server.url}/runs/${runId}`)).json()) as { conversation_id: string };
    return sseStream(`${server.url}/conversations/${run.conversation_id}/stream`, { headers: lastEventId(runId, after) });
  },
  runOf: runOfEventId,
  ending: doneEnding,
  text: (frames) =>
    frames
      .filter((frame) => frame.event === undefined)
      .map((frame) => (json(frame)?.content as string | undefined) ?? '')
      .join(''),
};

/** Seed 003: `POST /chat`; a reconnect re-sends the request with `Last-Event-ID`. */
const plainSse: StreamingSurface = {
  name: 'plain SSE (seed 003)',
  resumable: true,
  disconnect: 'continues',
  earlyFailure: 'event',
  showsCancel: true,
  open: (server, prompt, session) => post(`${server.url}/chat`, { message: prompt, session_id: session }),
  resume: (server, prompt, session, runId, after) => post(`${server.url}/chat`, { message: prompt, session_id: session }, lastEventId(runId, after)),
  runOf: runOfEventId,
  ending: (frame) => (frame.event === 'done' ? 'completed' : frame.event === 'error' ? (frame.data.includes('stopped') ? 'cancelled' : 'failed') : undefined),
  text: (frames) =>
    frames
      .filter((frame) => frame.event === undefined)
      .map((frame) => frame.data)
      .join(''),
};

/** Seed 004: `POST /api/chat`; a reconnect re-sends the request with `Last-Event-ID`. */
const jsonSse: StreamingSurface = {
  name: 'JSON SSE (seed 004)',
  resumable: true,
  disconnect: 'continues',
  earlyFailure: 'status',
  showsCancel: true,
  open: (server, prompt, session) => post(`${server.url}/api/chat`, { user_id: session, message: prompt }),
  resume: (server, prompt, session, runId, after) => post(`${server.url}/api/chat`, { user_id: session, message: prompt }, lastEventId(runId, after)),
  runOf: runOfEventId,
  ending: doneEnding,
  text: (frames) => frames.map((frame) => (json(frame)?.content as string | undefined) ?? '').join(''),
};

/** Seed 002: `POST /api/chat/stream`, one frame per processing step; a reconnect re-sends the request with `Last-Event-ID`. */
const steps: StreamingSurface = {
  name: 'steps SSE (seed 002)',
  resumable: true,
  disconnect: 'continues',
  earlyFailure: 'status',
  showsCancel: true,
  open: (server, prompt, session) => post(`${server.url}/api/chat/stream`, { content: prompt, session_id: session }),
  resume: (server, prompt, session, runId, after) =>
    post(`${server.url}/api/chat/stream`, { content: prompt, session_id: session }, lastEventId(runId, after)),
  runOf: runOfEventId,
  ending: (frame) => {
    const step = json(frame);
    if (step?.is_complete !== true) return undefined;
    if (step.cancelled === true) return 'cancelled';
    return step.error === undefined ? 'completed' : 'failed';
  },
  text: (frames) => frames.filter((frame) => json(frame)?.step === 'output').map((frame) => json(frame)?.content as string).join(''),
};

/** OpenAI-compatible `/v1/chat/completions` with `stream: true`: not resumable, and a client that leaves cancels. */
const openai: StreamingSurface = {
  name: 'OpenAI chat completions stream',
  resumable: false,
  disconnect: 'cancels',
  earlyFailure: 'status',
  showsCancel: false,
  open: (server, prompt) =>
    post(`${server.url}/v1/chat/completions`, { model: 'mock-model', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: prompt }] }),
  resume: () => Promise.reject(new Error('/v1 streams are not resumable')),
  runOf: (frame) => {
    const id = json(frame)?.id;
    return typeof id === 'string' ? id.replace(/^chatcmpl-/, '') : undefined;
  },
  ending: (frame) => {
    const body = json(frame);
    if (body?.error !== undefined) return 'failed';
    // OpenAI's wire format has no "cancelled": a stopped answer finishes with `stop` too.
    const finish = (body?.choices as { finish_reason: string | null }[] | undefined)?.[0]?.finish_reason;
    return typeof finish === 'string' ? 'completed' : undefined;
  },
  text: (frames) =>
    frames
      .map((frame) => ((json(frame)?.choices as { delta?: { content?: string } }[] | undefined)?.[0]?.delta?.content ?? ''))
      .join(''),
};

/** A WebSocket task stream as an {@link OpenedStream}: frames are the task's numbered messages, through its ending. */
function socketStream(socket: ChatSocket, taskId: string): OpenedStream {
  const frames = (async function* (): AsyncGenerator<ContractFrame> {
    for (;;) {
      let message;
      try {
        message = await socket.next((candidate) => candidate.task_id === taskId && candidate.type !== 'connected');
      } catch {
        return;
      }
      yield { id: message.seq === undefined ? undefined : String(message.seq), data: JSON.stringify(message) };
      if (ENDINGS.has(message.type)) return;
    }
  })();
  return {
    status: 200,
    frames,
    drop: () => {
      socket.socket.terminate();
      return Promise.resolve();
    },
    cancel: () => {
      socket.send({ type: 'cancel', task_id: taskId });
      return Promise.resolve();
    },
  };
}

const socketUrl = (server: SurfaceServer) => `${server.url.replace(/^http/, 'ws')}/ws/chat`;

/** Seed 000: `WS /ws/chat`, messages numbered by `seq`; a reconnect sends `resume` with `after_seq`; `cancel` stops the task. */
const websocket: StreamingSurface = {
  name: 'WebSocket tasks (seed 000)',
  resumable: true,
  disconnect: 'continues',
  earlyFailure: 'event',
  showsCancel: true,
  async open(server, prompt, session) {
    const socket = await ChatSocket.open(socketUrl(server));
    socket.send({ message: prompt, user_id: session });
    const first = await socket.next((message) => message.type === 'connected' || message.type === 'error');
    if (first.type === 'error') return { status: 409, errorCode: first.code, frames: (async function* () {})(), drop: () => Promise.resolve(socket.close()) };
    return socketStream(socket, first.task_id!);
  },
  async resume(server, _prompt, _session, runId, after) {
    const socket = await ChatSocket.open(socketUrl(server));
    socket.send({ type: 'resume', task_id: runId, after_seq: after === undefined ? 0 : Number(after.id) });
    await socket.next((message) => message.type === 'connected');
    return socketStream(socket, runId);
  },
  runOf: (frame) => json(frame)?.task_id as string | undefined,
  ending: (frame) => {
    const type = json(frame)?.type;
    return type === 'complete' ? 'completed' : type === 'cancelled' ? 'cancelled' : type === 'error' ? 'failed' : undefined;
  },
  text: (frames) => typedText(frames, 'answer_chunk', 'chunk'),
};

/** An SSE stream whose `cancel` is the surface's own stop route. */
async function withCancel(opened: Promise<OpenedStream>, cancelUrl: (frames: ContractFrame[]) => string): Promise<OpenedStream> {
  const stream = await opened;
  const seen: ContractFrame[] = [];
  const frames = (async function* () {
    for (;;) {
      const next = await stream.frames.next();
      if (next.done === true) return;
      seen.push(next.value);
      yield next.value;
    }
  })();
  return {
    ...stream,
    frames,
    async cancel() {
      const response = await fetch(cancelUrl(seen), { method: 'POST' });
      if (response.status !== 200) throw new Error(`cancel answered ${response.status}: ${await response.text()}`);
    },
  };
}

/**
 * The AI SDK UI message stream: `POST /ai-sdk/chat` as `DefaultChatTransport`
 * sends it; resumed by `GET /ai-sdk/chat/{id}/stream` (with `Last-Event-ID`,
 * or from the start without); stopped by `POST /ai-sdk/chat/{id}/stop`.
 */
const aiSdk: StreamingSurface = {
  name: 'AI SDK UI message stream',
  resumable: true,
  disconnect: 'continues',
  earlyFailure: 'status',
  showsCancel: true,
  open: (server, prompt, session) =>
    withCancel(
      post(`${server.url}/ai-sdk/chat`, { id: session, trigger: 'submit-message', messages: [{ id: `u-${session}`, role: 'user', parts: [{ type: 'text', text: prompt }] }] }),
      () => `${server.url}/ai-sdk/chat/${session}/stop`,
    ),
  resume: (server, _prompt, session, _runId, after) => sseStream(`${server.url}/ai-sdk/chat/${session}/stream`, { headers: after?.id === undefined ? {} : { 'last-event-id': after.id } }),
  runOf: runOfEventId,
  ending: (frame) => {
    const chunk = json(frame);
    if (chunk?.type !== 'finish') return undefined;
    const status = (chunk.messageMetadata as { status?: string } | undefined)?.status;
    return status === 'complete' ? 'completed' : status === 'cancelled' ? 'cancelled' : 'failed';
  },
  text: (frames) => typedText(frames, 'text-delta', 'delta'),
};

/** `resp_` and the run id's hex digits: a Responses client knows the response id, the contract the run id. */
const responseIdOf = (runId: string) => `resp_${runId.replaceAll('-', '')}`;

/** A Responses API surface: `POST /v1/responses` with `stream: true` (in the background or not); resumed by `GET /v1/responses/{id}?stream=true&starting_after=N`; stopped by `POST /v1/responses/{id}/cancel`. */
function responsesSurface(background: boolean): StreamingSurface {
  return {
    name: background ? 'Responses API stream, background' : 'Responses API stream',
    resumable: true,
    disconnect: 'continues',
    // A background response's client has it already: a failure is its `response.failed` event.
    earlyFailure: background ? 'event' : 'status',
    showsCancel: true,
    open: (server, prompt) =>
      withCancel(post(`${server.url}/v1/responses`, { model: 'mock-model', input: prompt, stream: true, background }), (frames) => {
        const runId = frames.map(runOfEventId).find((id) => id !== undefined)!;
        return `${server.url}/v1/responses/${responseIdOf(runId)}/cancel`;
      }),
    resume: (server, _prompt, _session, runId, after) => {
      const startingAfter = after === undefined ? '' : `&starting_after=${String(json(after)?.sequence_number)}`;
      return sseStream(`${server.url}/v1/responses/${responseIdOf(runId)}?stream=true${startingAfter}`);
    },
    runOf: runOfEventId,
    ending: (frame) => {
      const body = json(frame);
      const status = (body?.response as { status?: string } | undefined)?.status;
      if (frame.event === 'response.completed') return 'completed';
      if (frame.event === 'response.failed') return 'failed';
      if (frame.event === 'response.incomplete') return status === 'cancelled' ? 'cancelled' : 'completed';
      return undefined;
    },
    text: (frames) =>
      frames
        .filter((frame) => frame.event === 'response.output_text.delta')
        .map((frame) => json(frame)?.delta as string)
        .join(''),
  };
}

/** Every streaming surface. */
export const STREAMING_SURFACES: readonly StreamingSurface[] = [conversations, plainSse, jsonSse, steps, openai, websocket, aiSdk, responsesSurface(false), responsesSurface(true)];
