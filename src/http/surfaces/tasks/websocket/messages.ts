/**
 * Messages of `WS /ws/chat` (seed-000-deepthink-polling-ws.md "WebSocket
 * API"), both ways, and the checked parsing of what clients send. Every
 * message is one JSON object with a `type`; the seed's initial message has
 * none (`{"message": …, "model": …}`), so a message without `type` starts a task.
 */
import Type, { type Static } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { InputLimits } from '../../../../config/types.js';
import type { ThinkingStep } from '../../../../runs/events.js';
import { externalId } from '../../../schemas.js';
import { modelId, thinkingMode, userMessage } from '../schemas.js';

const apiKey = Type.String({ minLength: 1, maxLength: 512 });

function clientSchemas(limits: InputLimits) {
  return {
    /** Starts a task: the seed's initial message, plus optional `user_id` and `thinking`. */
    start: Type.Object({
      type: Type.Optional(Type.Literal('start')),
      message: userMessage(limits),
      model: Type.Optional(Type.Union([modelId, Type.Null()])),
      user_id: Type.Optional(externalId),
      thinking: Type.Optional(thinkingMode),
    }),
    /** Cancels `task_id`, or the task this connection started or resumed last. */
    cancel: Type.Object({ type: Type.Literal('cancel'), task_id: Type.Optional(externalId) }),
    /** Reconnect: stream `task_id`'s messages numbered after `after_seq` (default 0: all), then live ones. */
    resume: Type.Object({ type: Type.Literal('resume'), task_id: externalId, after_seq: Type.Optional(Type.Integer({ minimum: 0 })) }),
    /** Authenticates a connection that presented no key (browsers cannot set headers). */
    auth: Type.Object({ type: Type.Literal('auth'), api_key: apiKey }),
    /** Client heartbeats: `ping` is answered with `pong`; `pong` is ignored. */
    ping: Type.Object({ type: Type.Literal('ping') }),
    pong: Type.Object({ type: Type.Literal('pong') }),
  };
}

type Schemas = ReturnType<typeof clientSchemas>;

/** A checked client message; `type` is always set (`start` when the client sent none). */
export type ClientMessage = { [K in keyof Schemas]: Static<Schemas[K]> & { type: K } }[keyof Schemas];

/** The outcome of parsing one client frame; `apiKey` is any `api_key` field it carried. */
export type ParsedFrame = { ok: true; message: ClientMessage; apiKey?: string } | { ok: false; detail: string; apiKey?: string };

/** Parses client frames against compiled schemas; never throws. */
export class ClientMessageParser {
  private readonly validators: Record<keyof Schemas, Validator>;

  constructor(limits: InputLimits) {
    const schemas = clientSchemas(limits);
    this.validators = {
      start: Compile(schemas.start),
      cancel: Compile(schemas.cancel),
      resume: Compile(schemas.resume),
      auth: Compile(schemas.auth),
      ping: Compile(schemas.ping),
      pong: Compile(schemas.pong),
    };
  }

  /** Checks one text frame. */
  parse(text: string): ParsedFrame {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, detail: 'Messages must be JSON objects.' };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, detail: 'Messages must be JSON objects.' };
    const fields = value as Record<string, unknown>;
    const presented = typeof fields.api_key === 'string' && fields.api_key !== '' ? { apiKey: fields.api_key } : {};
    const type = fields.type ?? 'start';
    if (typeof type !== 'string' || !Object.hasOwn(this.validators, type)) {
      return { ok: false, detail: `Unknown message type ${JSON.stringify(type)}; send {"message"}, or type cancel, resume, auth or ping.`, ...presented };
    }
    const name = type as keyof Schemas;
    const validator = this.validators[name];
    const candidate = { ...fields, type: name };
    if (!validator.Check(candidate)) {
      const [first] = validator.Errors(candidate);
      const field = (first?.instancePath ?? '').split('/').filter(Boolean).join('.');
      const missing = first !== undefined && 'requiredProperties' in first.params ? String((first.params as { requiredProperties: unknown }).requiredProperties) : undefined;
      const detail = missing !== undefined ? `${missing} is required.` : `${field === '' ? 'message' : field} ${first?.message ?? 'is invalid'}.`;
      return { ok: false, detail, ...presented };
    }
    return { ok: true, message: candidate as ClientMessage, ...presented };
  }
}

/** Fields every message derived from a run carries: the task and its stream position. */
export interface StreamPosition {
  task_id: string;
  /**
   * This message's number in the task's stream, from 1. The same task always
   * yields the same numbered messages, so `{"type": "resume", "task_id",
   * "after_seq": <last seq received>}` continues exactly after it.
   */
  seq: number;
}

/** The end of a task's stream: `complete`, `cancelled`, or `error` for a failed run. */
export type EndingMessage =
  | {
      type: 'complete';
      final_answer: string;
      thinking_process: ThinkingStep[];
      confidence: number | null;
      suggested_followups: string[];
      citations: string[];
      task_id: string;
    }
  | { type: 'cancelled'; final_answer: string; task_id: string }
  | { type: 'error'; detail: string; code: string; task_id: string };

/** A message of a task's stream, before numbering. */
export type StreamMessageBody =
  | { type: 'thinking_step'; step: ThinkingStep; task_id: string }
  | { type: 'answer_chunk'; chunk: string; task_id: string }
  | EndingMessage;

/** A numbered message of a task's stream. */
export type StreamMessage = StreamMessageBody & StreamPosition;

/** Everything the server sends. */
export type ServerMessage =
  | StreamMessage
  | EndingMessage
  | { type: 'connected'; task_id: string; user_id: string }
  | { type: 'ping' }
  | { type: 'pong' }
  | { type: 'error'; detail: string; code?: string; task_id?: string };
