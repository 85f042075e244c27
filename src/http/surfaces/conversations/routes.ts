/** The conversations API, exactly as seed-001-conversations-sse.md documents it. */
import { attachmentBodyLimit } from '../../schemas.js';
import { toAttachmentParts, type AttachmentInput } from './attachments.js';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  conversationParams,
  messageParams,
  regenerateBody,
  createConversationBody,
  listQuery,
  sendMessageBody,
  streamQuery,
  updateConversationBody,
} from './schemas.js';
import { streamConversation } from './stream.js';
import { conversationView, messageView } from './views.js';

type Params = Static<typeof conversationParams>;
const tags = ['conversations'];

/** Registers the conversation routes. */
export function registerConversationRoutes(app: FastifyInstance, context: AppContext): void {
  const { chat } = context;

  app.post<{ Body: Static<typeof createConversationBody> }>(
    '/conversations',
    { schema: { body: createConversationBody, tags, summary: 'Create a conversation' } },
    async (request) => {
      const conversation = await chat.createConversation(request.principal.ownerId, {
        default_model: request.body.default_model,
        title: request.body.title ?? null,
        system_prompt: request.body.system_prompt ?? null,
      });
      return conversationView(conversation, 0);
    },
  );

  app.get<{ Querystring: Static<typeof listQuery> }>(
    '/conversations',
    { schema: { querystring: listQuery, tags, summary: 'List conversations' } },
    async (request) => {
      const rows = await chat.listConversations(request.principal.ownerId, request.query.limit, request.query.offset);
      return { conversations: rows.map((row) => conversationView(row, row.message_count)) };
    },
  );

  app.get<{ Params: Params }>('/conversations/:id', { schema: { params: conversationParams, tags, summary: 'Get a conversation' } }, async (request) => {
    const conversation = await chat.conversation(request.principal.ownerId, request.params.id);
    return conversationView(conversation, await chat.messageCount(conversation));
  });

  app.patch<{ Params: Params; Body: Static<typeof updateConversationBody> }>(
    '/conversations/:id',
    { schema: { params: conversationParams, body: updateConversationBody, tags, summary: "Update a conversation's default model" } },
    async (request) => {
      // Only the documented fields: the schema lets unknown ones through, and they must not reach the row.
      const { default_model: defaultModel, title, system_prompt: systemPrompt } = request.body;
      const fields = { default_model: defaultModel, title, system_prompt: systemPrompt };
      const updated = await chat.updateConversation(request.principal.ownerId, request.params.id, fields);
      return conversationView(updated, await chat.messageCount(updated));
    },
  );

  app.delete<{ Params: Params }>(
    '/conversations/:id',
    { schema: { params: conversationParams, tags, summary: 'Delete a conversation and its messages' } },
    async (request) => {
      await chat.deleteConversation(request.principal.ownerId, request.params.id);
      return { status: 'deleted', id: request.params.id };
    },
  );

  app.post<{ Params: Params; Body: { message: string; model?: string | null; attachments?: AttachmentInput[] } }>(
    '/conversations/:id/messages',
    {
      schema: { params: conversationParams, body: sendMessageBody(context.config.limits), tags, summary: 'Send a user message, with attachments' },
      bodyLimit: attachmentBodyLimit(context.config.limits),
    },
    async (request) => {
      const { body } = request;
      const message = await chat.addMessage(request.principal.ownerId, request.params.id, body.message, body.model, toAttachmentParts(body.attachments));
      return messageView(message);
    },
  );

  app.get<{ Params: Params }>(
    '/conversations/:id/messages',
    { schema: { params: conversationParams, tags, summary: 'List the messages of a conversation' } },
    async (request) => {
      const { conversation, messages } = await chat.messages(request.principal.ownerId, request.params.id);
      return { conversation_id: conversation.id, messages: messages.map(messageView) };
    },
  );

  app.post<{ Params: Static<typeof messageParams>; Body: Static<typeof regenerateBody> }>(
    '/conversations/:id/messages/:message_id/regenerate',
    {
      schema: { params: messageParams, body: regenerateBody, tags, summary: 'Answer again; the earlier answer stays stored as a sibling branch' },
      config: { startsRun: true },
    },
    async (request, reply) => {
      const conversation = await chat.conversation(request.principal.ownerId, request.params.id);
      const handle = await chat.regenerate({
        ownerId: request.principal.ownerId,
        conversation,
        surface: 'conversations',
        requestId: request.id,
        messageId: request.params.message_id,
        model: request.body?.model,
      });
      // The answer streams from GET /conversations/{id}/stream, which attaches to this run.
      return reply.status(202).send({ run_id: handle.id, message_id: handle.messageId, model: handle.model, stream: `/conversations/${conversation.id}/stream` });
    },
  );

  app.get<{ Params: Params; Querystring: Static<typeof streamQuery> }>(
    '/conversations/:id/stream',
    {
      schema: { params: conversationParams, querystring: streamQuery, tags, summary: 'Stream the assistant answer (SSE)' },
      config: { startsRun: true, resumes: true },
      // Fastify answers HEAD by running the GET handler, which would start a paid generation.
      exposeHeadRoute: false,
    },
    (request, reply) => streamConversation(context, request, reply),
  );
}
