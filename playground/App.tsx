/**
 * The playground: the page around one chat. Conversation list, new chat,
 * model picker, API key field (shown when the server wants a key), and the
 * chat itself (ChatView), re-created per chat id so `useChat` starts fresh.
 * The open chat's id is kept in the URL hash, so a reload reopens it and
 * `useChat({ resume: true })` picks up an answer still streaming.
 */
import { useCallback, useEffect, useState } from 'react';
import { ApiError, describeError, listConversations, listModels, loadMessages, storedKey, storeKey, type ChatMessage, type ConversationSummary } from './api.js';
import { ChatView } from './ChatView.js';

function chatIdFromHash(): string {
  const id = decodeURIComponent(window.location.hash.slice(1));
  return /^[A-Za-z0-9._:-]{1,128}$/.test(id) ? id : crypto.randomUUID();
}

export function App() {
  const [chatId, setChatId] = useState(chatIdFromHash);
  const [keyNeeded, setKeyNeeded] = useState(false);
  const [keyDraft, setKeyDraft] = useState(storedKey);
  const [keyVersion, setKeyVersion] = useState(0);
  const [models, setModels] = useState<string[]>([]);
  const [model, setModel] = useState(() => localStorage.getItem('parley.model') ?? '');
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [loaded, setLoaded] = useState<{ chatId: string; messages: ChatMessage[] } | undefined>();
  const [pageError, setPageError] = useState<string | undefined>();

  useEffect(() => {
    window.location.hash = encodeURIComponent(chatId);
  }, [chatId]);

  const refreshConversations = useCallback(() => {
    listConversations().then(setConversations, (error: unknown) => setPageError(describeError(error)));
  }, []);

  useEffect(() => {
    setPageError(undefined);
    listModels().then(
      (ids) => {
        setKeyNeeded((needed) => needed || storedKey() !== '');
        setModels(ids);
        setModel((current) => (current !== '' && ids.includes(current) ? current : (ids[0] ?? '')));
        refreshConversations();
      },
      (error: unknown) => {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) setKeyNeeded(true);
        setPageError(describeError(error));
      },
    );
  }, [keyVersion, refreshConversations]);

  useEffect(() => {
    let current = true;
    setLoaded(undefined);
    loadMessages(chatId).then(
      (messages) => current && setLoaded({ chatId, messages }),
      (error: unknown) => {
        if (!current) return;
        setPageError(describeError(error));
        setLoaded({ chatId, messages: [] });
      },
    );
    return () => {
      current = false;
    };
  }, [chatId, keyVersion]);

  const pickModel = (value: string) => {
    setModel(value);
    localStorage.setItem('parley.model', value);
  };

  return (
    <div className="page">
      <header className="top">
        <h1>Parley playground</h1>
        {keyNeeded && (
          <form
            className="key"
            onSubmit={(event) => {
              event.preventDefault();
              storeKey(keyDraft.trim());
              setKeyVersion((version) => version + 1);
            }}
          >
            <label>
              API key <input name="api-key" type="password" autoComplete="off" value={keyDraft} onChange={(event) => setKeyDraft(event.target.value)} />
            </label>
            <button type="submit">Save key</button>
          </form>
        )}
        <label className="model">
          Model{' '}
          <select name="model" value={model} onChange={(event) => pickModel(event.target.value)}>
            {models.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
      </header>
      <aside className="side">
        <button type="button" className="new-chat" onClick={() => setChatId(crypto.randomUUID())}>
          New chat
        </button>
        <ul className="conversations">
          {conversations.map((conversation) => {
            const id = conversation.external_id ?? conversation.id;
            return (
              <li key={conversation.id}>
                <button type="button" className={id === chatId || conversation.id === chatId ? 'current' : ''} onClick={() => setChatId(id)}>
                  {conversation.title ?? conversation.external_id ?? conversation.id.slice(0, 8)}
                  <small>{conversation.message_count} messages</small>
                </button>
              </li>
            );
          })}
        </ul>
      </aside>
      <main className="main">
        {pageError !== undefined && (
          <p className="error" role="alert">
            {pageError}
          </p>
        )}
        {loaded?.chatId === chatId ? <ChatView key={`${chatId}:${keyVersion}`} chatId={chatId} model={model} initialMessages={loaded.messages} onChanged={refreshConversations} /> : <p className="loading">Loading…</p>}
      </main>
    </div>
  );
}
