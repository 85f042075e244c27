/**
 * Stored messages as the AI SDK's `UIMessage` (`ai` package,
 * src/ui/ui-messages.ts): `{id, role, parts, metadata}`, reasoning as its own
 * `reasoning` part before the `text` part, so `useChat({ messages })` shows a
 * stored chat exactly as a streamed one.
 */
import { urlOfSource } from '../../../runs/attachments.js';
import { partsOf } from '../../../services/chat.js';
import type { BranchMessage } from '../../../services/client-chats.js';
import { storedTokenCounts } from '../../stored-usage.js';
import type { UiMessageMetadata } from './ui-stream.js';

/** A UIMessage part Parley produces. */
export type UiPart =
  | { type: 'step-start' }
  | { type: 'reasoning'; text: string; state: 'done' }
  | { type: 'text'; text: string; state: 'done' }
  | { type: 'file'; mediaType: string; url: string; filename?: string };

/** A user message's parts: its stored content parts (attachments as `file` parts, in order), else its text. */
function userParts(message: BranchMessage): UiPart[] {
  const parts = partsOf(message);
  if (parts === undefined) return [{ type: 'text', text: message.content, state: 'done' }];
  return parts.map((part): UiPart => {
    if (part.type === 'text') return { type: 'text', text: part.text, state: 'done' };
    return {
      type: 'file',
      // A URL whose type its extension did not tell: the AI SDK requires one.
      mediaType: part.source.mediaType ?? 'application/octet-stream',
      url: urlOfSource(part.source),
      ...(part.type === 'file' && part.filename !== undefined ? { filename: part.filename } : {}),
    };
  });
}

/** A stored message as a UIMessage. */
export interface UiMessage {
  id: string;
  role: 'system' | 'user' | 'assistant';
  parts: UiPart[];
  metadata?: UiMessageMetadata;
}

/** Maps one stored message; assistant messages carry run, model, status, usage and siblings as metadata. */
export function uiMessageOf(message: BranchMessage): UiMessage {
  if (message.role !== 'assistant') return { id: message.id, role: message.role, parts: userParts(message) };
  const parts: UiPart[] = [{ type: 'step-start' }];
  if (message.reasoning !== null && message.reasoning !== '') parts.push({ type: 'reasoning', text: message.reasoning, state: 'done' });
  if (message.content !== '') parts.push({ type: 'text', text: message.content, state: 'done' });
  const usage = storedTokenCounts(message);
  const metadata: UiMessageMetadata = {
    ...(message.run_id === null ? {} : { runId: message.run_id }),
    ...(message.model === null ? {} : { model: message.model }),
    status: message.status,
    ...(message.finish_reason === null ? {} : { finishReason: message.finish_reason }),
    ...(usage === undefined ? {} : { usage }),
    siblings: message.siblings,
  };
  return { id: message.id, role: 'assistant', parts, metadata };
}
