/**
 * The OpenAI-compatible surface: `POST /v1/chat/completions` (stream and not)
 * and `GET /v1/models`. Stateless like OpenAI's API: nothing is added to
 * conversations, but each call is a run with its usage recorded. A client that
 * disconnects mid-stream cancels the run, which aborts the upstream request.
 */
import type { FastifyInstance } from 'fastify';
import { ParleyError } from '../../../errors.js';
import type { ChatMessage, ContentPart } from '../../../providers/types.js';
import type { RunEvent } from '../../../runs/events.js';
import { requireCompleted } from '../../../services/runs.js';
import type { AppContext } from '../../context.js';
import { serveRunStream } from '../../streaming/run-stream.js';
import { chatCompletionSchema, type ChatCompletionBody } from './schemas.js';
import { chatCompletionView, completionFrom, type CompletionIdentity } from './chunks.js';
import { attachmentBodyLimit } from '../../schemas.js';
import { toContentPart } from './parts.js';
import { toFunctionTools, toToolChoice } from './tools.js';

function toChatMessages(messages: ChatCompletionBody['messages']): ChatMessage[] {
  return messages.map((message, index) => {
    let content: string | null;
    let parts: ContentPart[] | undefined;
    if (Array.isArray(message.content)) {
      const mapped = message.content.map((part, partIndex) => toContentPart(part, `messages.${index}.content.${partIndex}`));
      content = mapped.map((part) => (part.type === 'text' ? part.text : '')).join('');
      // Text-only parts stay plain text, as before; attachments keep the whole list in order.
      if (mapped.some((part) => part.type !== 'text')) {
        if (message.role !== 'user') throw new ParleyError('validation_failed', `messages.${index}: only user messages may carry attachments.`, { param: `messages.${index}.content` });
        parts = mapped;
      }
    } else content = message.content ?? null;
    return {
      role: message.role === 'developer' ? 'system' : message.role,
      content,
      ...(parts === undefined ? {} : { parts }),
      ...(message.name === undefined ? {} : { name: message.name }),
      ...(message.tool_call_id === undefined ? {} : { tool_call_id: message.tool_call_id }),
      ...(message.tool_calls === undefined ? {} : { tool_calls: message.tool_calls }),
    };
  });
}

/** Registers the `/v1` routes. */
export function registerOpenAIRoutes(app: FastifyInstance, context: AppContext): void {
  const { chat, runs, config } = context;

  app.post<{ Body: ChatCompletionBody }>(
    '/v1/chat/completions',
    {
      schema: { body: chatCompletionSchema(config.limits), tags: ['openai'], summary: 'Create a chat completion (OpenAI-compatible)' },
      config: { startsRun: true },
      bodyLimit: attachmentBodyLimit(config.limits),
    },
    async (request, reply) => {
      const body = request.body;
      const handle = await chat.complete({
        ownerId: request.principal.ownerId,
        surface: 'openai',
        requestId: request.id,
        // The JSON answer is written once the run is over: the provider may answer it whole too.
        wholeAnswer: body.stream !== true,
        request: {
          model: body.model,
          messages: toChatMessages(body.messages),
          temperature: body.temperature ?? config.temperature,
          top_p: body.top_p ?? undefined,
          max_tokens: body.max_completion_tokens ?? body.max_tokens ?? config.maxTokens,
          stop: body.stop ?? undefined,
          seed: body.seed ?? undefined,
          presence_penalty: body.presence_penalty ?? undefined,
          frequency_penalty: body.frequency_penalty ?? undefined,
          tools: toFunctionTools(body.tools),
          tool_choice: toToolChoice(body.tool_choice),
          reasoning_effort: body.reasoning_effort ?? undefined,
          user: body.user,
        },
      });
      // Stateless like OpenAI's API: a client that goes away, at any point, has
      // no one to deliver to, so its run is cancelled and the upstream call aborted.
      // Armed before any await, so a disconnect during the wait for the first
      // token is not missed. `on`, not `once` (which wraps the listener in two more
      // objects for the stream's life): ServerResponse 'close' fires once anyway.
      reply.raw.on('close', () => void runs.cancel(request.principal.ownerId, handle.id));
      const identity: CompletionIdentity = { id: `chatcmpl-${handle.id}`, created: Math.floor(Date.now() / 1000), model: handle.model };
      // Nobody can resume a stateless run: its events are read once (consumed), then dropped.
      if (body.stream !== true) {
        requireCompleted(await handle.done);
        const events: RunEvent[] = [];
        for await (const batch of runs.events(handle.id, 0, undefined, { consume: true })) events.push(...batch);
        return completionFrom(identity, events);
      }
      const view = chatCompletionView(identity, body.stream_options?.include_usage === true);
      // Returned, not awaited: the handler's suspended frame would stay alive for the whole stream.
      return serveRunStream(context, reply, view, { runId: handle.id, after: 0, started: true, consume: true });
    },
  );

  app.get('/v1/models', { schema: { tags: ['openai'], summary: 'List models (OpenAI-compatible)' } }, async () => {
    const models = await context.models.list();
    return {
      object: 'list',
      data: models.models.map((model) => ({ ...model, id: model.id, object: 'model', created: model.created ?? 0, owned_by: model.owned_by })),
    };
  });
}
