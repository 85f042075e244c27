/**
 * A `ws` client for `WS /ws/chat`, as seed 000's JavaScript example uses it
 * (`new WebSocket(url, { headers: { 'x-api-key': … } })`), that records every
 * server message so tests can wait for and assert on them.
 */
import WebSocket from 'ws';

/** A server message as received (fields depend on `type`). */
export interface SocketMessage {
  type: string;
  task_id?: string;
  user_id?: string;
  seq?: number;
  chunk?: string;
  step?: { step: number; status: string; message: string; progress: number; timestamp: string };
  final_answer?: string;
  thinking_process?: { step: number; status: string; message: string; progress: number; timestamp: string }[];
  confidence?: number | null;
  suggested_followups?: string[];
  citations?: unknown[];
  detail?: string;
  code?: string;
}

/** Message types that end a task's stream. */
export const ENDINGS = new Set(['complete', 'cancelled', 'error']);

/** A connected client and everything it received. */
export class ChatSocket {
  /** Every message received, in order. */
  readonly messages: SocketMessage[] = [];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private cursor = 0;
  private wake: () => void = () => undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString('utf8')) as SocketMessage);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      }),
    );
  }

  /** Opens a connection; rejects when the upgrade is refused. */
  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<ChatSocket> {
    const socket = new WebSocket(url, options);
    const client = new ChatSocket(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused with ${response.statusCode}`)));
    });
  }

  /** Sends a JSON message (or a raw string as is). */
  send(value: unknown): void {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /**
   * Waits for the next message, after those already taken, that matches
   * `predicate`; messages skipped on the way are taken too.
   * @throws Error after `timeoutMs` or when the socket closes first.
   */
  async next(predicate: (message: SocketMessage) => boolean = () => true, timeoutMs = 10_000): Promise<SocketMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.messages.length) {
        const message = this.messages[this.cursor]!;
        this.cursor += 1;
        if (predicate(message)) return message;
      }
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting; received ${JSON.stringify(this.messages)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting; received ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Takes the messages of `taskId` (pings skipped) through its ending message. */
  async untilEnd(taskId: string, timeoutMs = 15_000): Promise<SocketMessage[]> {
    const taken: SocketMessage[] = [];
    for (;;) {
      const message = await this.next((candidate) => candidate.task_id === taskId && candidate.type !== 'connected', timeoutMs);
      taken.push(message);
      if (ENDINGS.has(message.type)) return taken;
    }
  }

  /** Closes cleanly. */
  close(): void {
    this.socket.close();
  }
}
