/**
 * The plain SSE chat API of seed-003-sse-session-auth.md: `POST /chat`.
 * (The seed's `GET /health` is the operations route, owned there.) The
 * client key (`x-api-key`) is checked by the shared auth hook: 401 without
 * one, 403 with a wrong one, as the seed's "Unauthorized" troubleshooting says.
 *
 * Errors. Bad bodies, a missing key and a turn that collides with one still
 * streaming are refused before the stream starts, with an HTTP status and the
 * JSON error body. A failing provider is not: the seed documents it as an
 * `event: error` inside the stream ("API Error: Rate limit exceeded"), which is
 * what its clients handle, so even a failure before the first token goes out
 * as that event on a 200 stream.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Static } from 'typebox';
import type { AppContext } from '../../context.js';
import { chargeRunStart } from '../../plugins/guard/rate-limit.js';
import { lastEventId, serveRunStream } from '../../streaming/run-stream.js';
import { chatBody } from './schemas.js';
import { plainSseView } from './views.js';

/**
 * Response header naming the session a `POST /chat` wrote to. The seed makes
 * `session_id` optional without saying how a generated one reaches the
 * client; its body is plain text, so a header is the only place that breaks
 * no seed client.
 */
export const SESSION_HEADER = 'x-session-id';

type ChatBody = Static<ReturnType<typeof chatBody>>;

/** Registers `POST /chat`. */
export function registerPlainSseRoutes(app: FastifyInstance, context: AppContext): void {
  const { chat, runs } = context;

  app.post<{ Body: ChatBody }>(
    '/chat',
    {
      schema: {
        body: chatBody(context.config.limits),
        tags: ['plain-sse'],
        summary: 'Chat, streamed as plain-text SSE (seed 003)',
        description:
          'Streams `data: <text>` per delta, then `event: done` / `data: [DONE]`; a provider failure is `event: error` / `data: <message>`. ' +
          'Every message has `id: <run_id>:<seq>`; re-send the request with `Last-Event-ID` to resume a dropped stream. ' +
          'The session written to is returned in `X-Session-ID` (generated when `session_id` is omitted).',
      },
      config: { startsRun: true, resumes: true },
    },
    async (request, reply) => {
      const ownerId = request.principal.ownerId;
      const given = request.body.session_id ?? undefined;
      const sessionId = given ?? randomUUID();
      // A reconnect continues the run it names instead of asking the question again.
      const target = await runs.resumeOrStart({
        ownerId,
        resume: lastEventId(request),
        start: async () => {
          await chargeRunStart(request, reply);
          return (await chat.startTurn({ ownerId, externalId: sessionId, message: request.body.message, surface: 'plain-sse', requestId: request.id })).handle.id;
        },
      });
      // A resumed stream names the session only when the request did: a new id would name no conversation.
      if (target.started || given !== undefined) exposeSession(reply, sessionId);
      await serveRunStream(context, reply, plainSseView, target);
    },
  );
}

/** Sets `X-Session-ID`, and lets browsers read it when CORS is on. */
function exposeSession(reply: FastifyReply, sessionId: string): void {
  reply.header(SESSION_HEADER, sessionId);
  const exposed = reply.getHeader('access-control-expose-headers');
  if (typeof exposed === 'string') reply.header('access-control-expose-headers', `${exposed}, ${SESSION_HEADER}`);
}
