/**
 * The AI SDK surface (`useChat` with `DefaultChatTransport`, AI SDK 5/6):
 *
 * - `POST /ai-sdk/chat`: the transport's request; answers with the UI message
 *   stream. The chat `id` names a conversation of the calling key; its
 *   stored history is the context and the request's last user message the
 *   new turn. `regenerate-message` answers again as a sibling.
 * - `GET /ai-sdk/chat/{id}/stream`: the transport's reconnect
 *   (`useChat({ resume: true })`): replays the running (or just finished)
 *   answer from its start, or after `Last-Event-ID`; 204 when there is none.
 * - `POST /ai-sdk/chat/{id}/stop`: stops the running answer. Aborting the
 *   fetch in the client is only a disconnect: the answer goes on and is stored.
 * - `GET /ai-sdk/chat/{id}/messages`, `POST /ai-sdk/chat/{id}/branch`: the
 *   stored chat as UIMessages (for `useChat({ messages })`), and switching to
 *   a sibling answer.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ParleyError } from '../../../errors.js';
import type { ContentPart } from '../../../providers/types.js';
import { attachmentPart, sourceFromUrl } from '../../../runs/attachments.js';
import type { StreamTarget } from '../../../services/runs.js';
import type { AppContext } from '../../context.js';
import { attachmentBodyLimit } from '../../schemas.js';
import { lastEventId, serveRunStream } from '../../streaming/run-stream.js';
import type { SseMessage } from '../../streaming/sse.js';
import { pureFoldView, type StreamView } from '../../streaming/stream-view.js';
import { uiMessageOf } from './messages.js';
import { branchBody, chatBody, chatParams, type BranchBody, type ChatBody, type ChatParams } from './schemas.js';
import {
  foldUiMessageStream,
  initialUiStreamState,
  UI_MESSAGE_STREAM_HEADERS,
  UI_MESSAGE_STREAM_TRAILER,
  type UiStreamState,
} from './ui-stream.js';

const SURFACE = 'ai-sdk';
const tags = ['ai-sdk'];

/** The text of a UIMessage: its `text` parts, joined. */
function textOf(message: ChatBody['messages'][number]): string {
  return message.parts.map((part) => (part.type === 'text' && 'text' in part ? (part.text ?? '') : '')).join('');
}

/**
 * A user UIMessage with `file` parts as content parts, in order (its other
 * non-text parts left out); nothing for a text-only message.
 * @throws ParleyError `validation_failed` for a file URL that is neither https: nor data:.
 */
function contentPartsOf(message: ChatBody['messages'][number], index: number): { parts?: ContentPart[] } {
  if (!message.parts.some((part) => part.type === 'file')) return {};
  const parts = message.parts.flatMap((part, partIndex): ContentPart[] => {
    const param = `messages.${index}.parts.${partIndex}`;
    if (part.type === 'text' && 'text' in part) return [{ type: 'text', text: part.text ?? '' }];
    if (part.type !== 'file' || !('url' in part)) return [];
    return [attachmentPart(sourceFromUrl(part.url, `${param}.url`, part.mediaType.toLowerCase()), param, part.filename)];
  });
  return { parts };
}

/**
 * The UI message stream as a streaming view: one `data:` frame per chunk,
 * `id: <run_id>:<seq>` for `Last-Event-ID` resume, `data: [DONE]` last. A
 * run started by the request that fails before any output is an HTTP error
 * status (the transport rejects with it); a resumed one shows an `error` chunk.
 */
export const uiMessageStreamView: StreamView<{ current: UiStreamState }, SseMessage> = pureFoldView(
  {
    initial: initialUiStreamState,
    step: (state, event) => {
      const step = foldUiMessageStream(state, event);
      return { state: step.state, frames: step.chunks.map((chunk) => ({ data: JSON.stringify(chunk) })) };
    },
  },
  { resume: 'event', earlyFailure: 'status', trailer: () => [{ data: UI_MESSAGE_STREAM_TRAILER }] },
);

/** Streams the run `target` names as the UI message stream. */
async function streamAnswer(context: AppContext, reply: FastifyReply, target: StreamTarget): Promise<void> {
  reply.headers(UI_MESSAGE_STREAM_HEADERS);
  await serveRunStream(context, reply, uiMessageStreamView, target);
}

/** Registers the AI SDK routes. */
export function registerAiSdkRoutes(app: FastifyInstance, context: AppContext): void {
  const { clientChats, config, personas } = context;

  app.post<{ Body: ChatBody }>(
    '/ai-sdk/chat',
    {
      schema: {
        body: chatBody,
        tags,
        summary: 'Send a message or regenerate (AI SDK DefaultChatTransport); answers with the UI message stream',
        description:
          'Body: `{id, messages, trigger, messageId?, model?, persona?}` as `useChat` sends it. The chat `id` is one of your conversation ids, or any id of your choice (a conversation is created on first use). Answers `text/event-stream` with `x-vercel-ai-ui-message-stream: v1`.',
      },
      config: { startsRun: true },
      bodyLimit: attachmentBodyLimit(config.limits),
    },
    async (request, reply) => {
      const { body } = request;
      const ownerId = request.principal.ownerId;
      const model = body.model ?? undefined;
      let runId: string;
      if (body.trigger === 'regenerate-message') {
        const handle = await clientChats.regenerate({ ownerId, chatId: body.id, messageId: body.messageId ?? undefined, model, surface: SURFACE, requestId: request.id });
        runId = handle.id;
      } else {
        if (body.messageId !== undefined && body.messageId !== null) {
          throw new ParleyError('validation_failed', 'Editing a sent message (submit-message with messageId) is not supported; send a new message.', { param: 'messageId' });
        }
        const last = body.messages.at(-1)!;
        const text = textOf(last);
        if (last.role !== 'user' || text.trim() === '') {
          throw new ParleyError('validation_failed', 'The last message must be a user message with text.', { param: `messages.${body.messages.length - 1}` });
        }
        if (text.length > config.limits.maxMessageChars) {
          throw new ParleyError('validation_failed', `The message must NOT have more than ${config.limits.maxMessageChars} characters.`, { param: `messages.${body.messages.length - 1}` });
        }
        const persona = body.persona === undefined ? undefined : personas.require(body.persona).name;
        const parts = contentPartsOf(last, body.messages.length - 1);
        const partParam = () => `messages.${body.messages.length - 1}.parts`;
        const { handle } = await clientChats.send({ ownerId, chatId: body.id, text, ...parts, partParam, model, persona, surface: SURFACE, requestId: request.id });
        runId = handle.id;
      }
      await streamAnswer(context, reply, { runId, after: 0, started: true });
    },
  );

  app.get<{ Params: ChatParams }>(
    '/ai-sdk/chat/:id/stream',
    {
      schema: {
        params: chatParams,
        tags,
        summary: "Resume the chat's running answer (UI message stream); 204 when there is none",
        description: 'Replays the running answer, or one that ended in the last minute, from its start; with `Last-Event-ID`, from after that event.',
      },
    },
    async (request, reply) => {
      const ownerId = request.principal.ownerId;
      const chatId = request.params.id;
      let target: StreamTarget;
      try {
        target = await context.runs.resumeOrStart({ ownerId, resume: lastEventId(request), attach: () => clientChats.resumable({ ownerId, chatId }) });
      } catch (error) {
        // What useChat({ resume: true }) expects when the chat has no answer to resume.
        if (error instanceof ParleyError && error.code === 'run_not_found') return reply.status(204).send();
        throw error;
      }
      return streamAnswer(context, reply, target);
    },
  );

  app.post<{ Params: ChatParams }>(
    '/ai-sdk/chat/:id/stop',
    { schema: { params: chatParams, tags, summary: "Stop the chat's running answer; the partial text is stored as cancelled" } },
    async (request) => {
      const terminal = await clientChats.stop({ ownerId: request.principal.ownerId, chatId: request.params.id });
      if (terminal === undefined) return { stopped: false, messageId: null, status: null };
      return { stopped: terminal.type === 'run.cancelled', messageId: terminal.message_id, status: terminal.type.slice('run.'.length) };
    },
  );

  app.get<{ Params: ChatParams }>(
    '/ai-sdk/chat/:id/messages',
    { schema: { params: chatParams, tags, summary: "The chat's active branch as UIMessages, each answer with its siblings" } },
    async (request) => {
      const { conversation, messages } = await clientChats.history({ ownerId: request.principal.ownerId, chatId: request.params.id });
      return { id: request.params.id, conversationId: conversation.id, messages: messages.map(uiMessageOf) };
    },
  );

  app.post<{ Params: ChatParams; Body: BranchBody }>(
    '/ai-sdk/chat/:id/branch',
    { schema: { params: chatParams, body: branchBody, tags, summary: 'Switch to a sibling answer: it and what follows it become the active branch' } },
    async (request) => {
      const { conversation, messages } = await clientChats.switchBranch({ ownerId: request.principal.ownerId, chatId: request.params.id, messageId: request.body.messageId });
      return { id: request.params.id, conversationId: conversation.id, messages: messages.map(uiMessageOf) };
    },
  );
}
