/**
 * `WS /ws/chat` (seed-000-deepthink-polling-ws.md "WebSocket API"). The route
 * is public to the `onRequest` key check because browsers cannot set headers
 * on a WebSocket: the session authenticates itself from the `x-api-key` /
 * `Authorization` header, the `api_key` (or `token`) query parameter, or the
 * first message, and closes with 1008 on a bad or missing key. A plain HTTP
 * GET (no upgrade) answers 426 `upgrade_required`.
 */
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { ParleyError } from '../../../../errors.js';
import { presentedKey, type Authenticator } from '../../../plugins/auth.js';
import type { AppContext } from '../../../context.js';
import { originAllowed } from '../../../plugins/cors.js';
import { ClientMessageParser } from './messages.js';
import { ChatSocketSession } from './session.js';

const socketQuery = Type.Object({
  api_key: Type.Optional(Type.String({ description: 'Client key, for clients that cannot set headers.' })),
  token: Type.Optional(Type.String({ description: 'Same as api_key.' })),
});
type SocketQuery = Static<typeof socketQuery>;

const description = [
  'WebSocket. Client messages: `{"message", "model"?, "user_id"?, "thinking"?}` starts a task (without user_id the connection has its own conversation); ',
  '`{"type": "cancel", "task_id"?}` stops the running task (the partial answer is stored as cancelled); ',
  '`{"type": "resume", "task_id", "after_seq"?}` re-sends the messages numbered after `after_seq`, then continues live; ',
  '`{"type": "auth", "api_key"}` (or an `api_key` field on the first message) authenticates; `{"type": "ping"}` is answered with `pong`. ',
  'Server messages: `connected` {task_id, user_id}, `thinking_step` {step}, `answer_chunk` {chunk} (CHUNK_SIZE characters), ',
  '`complete` {final_answer, thinking_process, confidence, suggested_followups, citations}, `cancelled` {final_answer}, ',
  '`error` {detail, code}, `ping` every HEARTBEAT_INTERVAL seconds. Task messages carry `task_id` and `seq` (from 1). ',
  'A bad or missing key: an `error` message, then close code 1008. Disconnecting never stops the answer.',
].join('');

/** Registers `WS /ws/chat`; needs `@fastify/websocket` registered first. */
export function registerChatSocketRoutes(app: FastifyInstance, context: AppContext, authenticator: Authenticator): void {
  const parser = new ClientMessageParser(context.config.limits);

  app.route<{ Querystring: SocketQuery }>({
    method: 'GET',
    url: '/ws/chat',
    config: { public: true },
    schema: { querystring: socketQuery, tags: ['tasks'], summary: 'Chat over WebSocket (seed 000)', description },
    handler: () => {
      throw new ParleyError('upgrade_required', 'GET /ws/chat is a WebSocket; connect with a WebSocket client.');
    },
    wsHandler: (socket, request) => {
      // CORS does not apply to WebSockets: without this check any web page could
      // open a socket with the visitor's ambient access (e.g. a loopback server).
      // The same origins as CORS_ORIGINS may connect (src/http/cors.ts).
      const origin = request.headers.origin;
      if (origin !== undefined && !originAllowed(context.config.cors, origin)) {
        socket.send(JSON.stringify({ type: 'error', detail: `Origin ${origin} is not allowed; add it to CORS_ORIGINS.`, code: 'forbidden_origin' }));
        socket.close(POLICY_VIOLATION, 'forbidden_origin');
        return;
      }
      const key = presentedKey(request.headers) ?? nonEmpty(request.query.api_key) ?? nonEmpty(request.query.token);
      new ChatSocketSession({
        context,
        authenticator,
        parser,
        socket,
        presentedKey: key,
        logger: request.log,
        requestId: request.id,
        chargeStart: (principal) => app.chargeChatRequest(request, principal),
      });
    },
  });
}

/** WebSocket close code for a policy violation (RFC 6455 section 7.4.1). */
const POLICY_VIOLATION = 1008;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
