/**
 * One chat through `useChat` (@ai-sdk/react) against Parley's AI SDK
 * surface: streamed reasoning shown apart from the answer, stop (on the
 * server, so the partial answer is stored), regenerate, switching between
 * sibling answers, and per answer its usage and time to first token.
 */
import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport } from 'ai';
import { useEffect, useMemo, useRef, useState } from 'react';
import { authHeaders, describeError, loadMessages, stopAnswer, switchBranch, type ChatMessage } from './api.js';

interface Props {
  chatId: string;
  model: string;
  initialMessages: ChatMessage[];
  /** The chat's stored state changed (an answer ended, a branch switched). */
  onChanged: () => void;
}

export function ChatView({ chatId, model, initialMessages, onChanged }: Props) {
  const modelRef = useRef(model);
  modelRef.current = model;
  const transport = useMemo(
    () => new DefaultChatTransport<ChatMessage>({ api: '/ai-sdk/chat', headers: () => authHeaders(), body: () => ({ model: modelRef.current || undefined }) }),
    [],
  );
  const [actionError, setActionError] = useState<string | undefined>();
  /** When the latest request was sent, and each answer's time to first token (ms), measured here. */
  const sentAt = useRef<number | undefined>(undefined);
  const [firstToken, setFirstToken] = useState<Record<string, number>>({});
  const { messages, sendMessage, regenerate, status, error, setMessages, clearError } = useChat<ChatMessage>({
    id: chatId,
    messages: initialMessages,
    transport,
    resume: true,
    onFinish: () => {
      // Stored answers carry what a stream cannot know yet: siblings, final status.
      void loadMessages(chatId).then(setMessages, (failure: unknown) => setActionError(describeError(failure)));
      onChanged();
    },
  });
  const [draft, setDraft] = useState('');
  const busy = status === 'submitted' || status === 'streaming';

  const last = messages.at(-1);
  useEffect(() => {
    if (sentAt.current === undefined || last?.role !== 'assistant' || firstToken[last.id] !== undefined) return;
    if (last.parts.some((part) => (part.type === 'text' || part.type === 'reasoning') && part.text !== '')) {
      const elapsed = Date.now() - sentAt.current;
      sentAt.current = undefined;
      setFirstToken((known) => ({ ...known, [last.id]: elapsed }));
    }
  }, [last, firstToken]);

  const send = () => {
    const text = draft.trim();
    if (text === '' || busy) return;
    clearError();
    setActionError(undefined);
    sentAt.current = Date.now();
    setDraft('');
    void sendMessage({ text });
  };

  const act = (action: () => Promise<unknown>) => {
    setActionError(undefined);
    action().catch((failure: unknown) => setActionError(describeError(failure)));
  };

  return (
    <section className="chat" data-chat-id={chatId} data-status={status}>
      <ol className="messages">
        {messages.map((message) => (
          <MessageView
            key={message.id}
            message={message}
            streaming={busy && message === last && message.role === 'assistant'}
            ttft={firstToken[message.id]}
            onSwitch={(siblingId) => act(async () => setMessages(await switchBranch(chatId, siblingId)))}
            onRegenerate={
              !busy && message === last && message.role === 'assistant'
                ? () => {
                    clearError();
                    sentAt.current = Date.now();
                    act(() => regenerate({ messageId: message.id }));
                  }
                : undefined
            }
          />
        ))}
      </ol>
      {(error !== undefined || actionError !== undefined) && (
        <p className="error" role="alert">
          {actionError ?? describeError(error)}
        </p>
      )}
      <form
        className="composer"
        onSubmit={(event) => {
          event.preventDefault();
          send();
        }}
      >
        <textarea
          name="message"
          rows={3}
          placeholder="Send a message"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey) {
              event.preventDefault();
              send();
            }
          }}
        />
        {busy ? (
          <button type="button" className="stop" onClick={() => act(() => stopAnswer(chatId))}>
            Stop
          </button>
        ) : (
          <button type="submit" className="send" disabled={draft.trim() === ''}>
            Send
          </button>
        )}
      </form>
    </section>
  );
}

interface MessageProps {
  message: ChatMessage;
  streaming: boolean;
  ttft: number | undefined;
  onSwitch: (messageId: string) => void;
  onRegenerate: (() => void) | undefined;
}

function MessageView({ message, streaming, ttft, onSwitch, onRegenerate }: MessageProps) {
  const metadata = message.metadata;
  const siblings = metadata?.siblings ?? [];
  const position = siblings.indexOf(message.id);
  return (
    <li className={`message ${message.role}`} data-role={message.role} data-message-id={message.id} data-status={metadata?.status ?? ''}>
      {message.parts.map((part, index) => {
        if (part.type === 'reasoning') {
          return (
            <details key={index} className="reasoning" open={streaming}>
              <summary>Reasoning</summary>
              <p className="reasoning-text">{part.text}</p>
            </details>
          );
        }
        if (part.type === 'text') {
          return (
            <p key={index} className={message.role === 'assistant' ? 'answer-text' : 'user-text'}>
              {part.text}
            </p>
          );
        }
        if (part.type === 'dynamic-tool') {
          return (
            <p key={index} className="tool">
              Tool call: {part.toolName}({JSON.stringify(part.input)})
            </p>
          );
        }
        return null;
      })}
      {message.role === 'assistant' && (
        <footer className="meta">
          {siblings.length > 1 && position >= 0 && (
            <span className="siblings">
              <button type="button" className="previous" disabled={position === 0 || streaming} onClick={() => onSwitch(siblings[position - 1]!)}>
                ‹
              </button>
              <span className="siblings-label">
                {position + 1}/{siblings.length}
              </span>
              <button type="button" className="next" disabled={position === siblings.length - 1 || streaming} onClick={() => onSwitch(siblings[position + 1]!)}>
                ›
              </button>
            </span>
          )}
          {metadata?.model !== undefined && <span className="model-name">{metadata.model}</span>}
          {metadata?.status !== undefined && metadata.status !== 'complete' && <span className="status">{metadata.status}</span>}
          {metadata?.usage !== undefined && (
            <span className="usage">
              {metadata.usage.prompt_tokens} in / {metadata.usage.completion_tokens} out
              {metadata.usage.reasoning_tokens > 0 ? ` (${metadata.usage.reasoning_tokens} reasoning)` : ''}
            </span>
          )}
          {ttft !== undefined && <span className="ttft">first token {ttft} ms</span>}
          {onRegenerate !== undefined && (
            <button type="button" className="regenerate" onClick={onRegenerate}>
              Regenerate
            </button>
          )}
        </footer>
      )}
    </li>
  );
}
