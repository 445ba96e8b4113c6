/**
 * Chat on saved conversations (docs/conversations.md). A sidebar lists one's conversations
 * (collapsible; a drawer on a phone); the thread fills the viewport with one scroll and
 * the composer stays visible under it. The URL carries the conversation id, so a reload
 * keeps it. Answers stream in (server-sent events), render as Markdown (react-markdown:
 * raw HTML is never rendered) with their [n] markers as badges opening the viewer at the
 * cited chunk; each answer can be copied, regenerated (earlier versions are kept) and
 * judged. Enter sends, Shift+Enter starts a new line, Esc stops an answer being written.
 */
import { describeLocation } from '@lumikb/contracts/chunk-location';
import { type FormEvent, type KeyboardEvent, type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
import Markdown from 'react-markdown';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import remarkGfm from 'remark-gfm';
import { type ApiError, api, call, type ResponseOf, toApiError } from '../../api/client.ts';
import { useForget, useInvalidate, useMutation, useQuery } from '../../api/hooks.ts';
import { changed, keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { SelectField } from '../../components/Field.tsx';
import { ConfirmModal } from '../../components/Modal.tsx';
import { Empty, ErrorBanner, ErrorState, Loading } from '../../components/States.tsx';
import { useToast } from '../../components/Toast.tsx';
import {
  askKb,
  type ChatDone,
  type Citation,
  type KbList,
  streamAnswer,
  useAvailableModels,
  useReadableKbs,
  viewerPath,
} from './kbApi.ts';
import { providerLabel } from './ModelPicker.tsx';

type Conversation = ResponseOf<'/api/v1/conversations/{id}', 'get'>;
type Message = Conversation['messages'][number];
type Kb = KbList['items'][number];

/** An answer being written now (shown until the saved conversation is read back). */
interface LiveAnswer {
  question: string;
  /** The question answered again (regenerate), when it is not a new one. */
  questionId?: string;
  answer: string;
  citations: Citation[] | undefined;
  done: ChatDone | undefined;
  error: ApiError | undefined;
}

const NOTICE = /\n*\s*(Extractive answer:[^\n]*no language model[^\n]*)\s*$/i;

/** The answer without the extractive answerer's trailing notice, and the notice. */
function splitNotice(answer: string): { body: string; notice: string | undefined } {
  const m = answer.match(NOTICE);
  return m ? { body: answer.slice(0, m.index).trimEnd(), notice: m[1] } : { body: answer, notice: undefined };
}

const PHONE = '(max-width: 899px)';

export function ChatPage() {
  const { conversationId } = useParams();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const kbs = useReadableKbs();
  const models = useAvailableModels();
  const [sidebarOpen, setSidebarOpen] = useState(() => !window.matchMedia(PHONE).matches);
  const [query, setQuery] = useState('');
  const listQuery = { limit: 50, ...(query ? { q: query } : {}) };
  const list = useQuery(
    keys.conversations.list(listQuery),
    () => call(api.GET('/api/v1/conversations', { params: { query: listQuery } })),
    { keepPrevious: true },
  );
  const invalidate = useInvalidate();
  const localModelIds = useMemo(
    () => new Set((models.data?.items ?? []).filter((m) => m.provider === 'local').map((m) => m.id)),
    [models.data],
  );

  const open = (id: string | undefined) => {
    if (window.matchMedia(PHONE).matches) setSidebarOpen(false);
    navigate(id ? `/chat/${id}` : '/chat');
  };

  return (
    <div className={`chat-page ${sidebarOpen ? 'sidebar-open' : 'sidebar-closed'}`}>
      <aside id="conversation-list" className="conv-sidebar" aria-label="Conversations">
        <div className="conv-sidebar-head">
          <h2 className="conv-sidebar-title">Conversations</h2>
          <Button size="sm" variant="primary" onClick={() => open(undefined)}>
            New chat
          </Button>
        </div>
        <input
          type="search"
          className="input"
          placeholder="Search titles"
          aria-label="Search conversations"
          value={query}
          maxLength={200}
          onChange={(e) => setQuery(e.target.value)}
        />
        {list.error && !list.data ? <ErrorState error={list.error} onRetry={list.reload} /> : null}
        <ul className="conv-list">
          {(list.data?.items ?? []).map((c) => (
            <li key={c.id}>
              <Link
                to={`/chat/${c.id}`}
                className={`conv-link ${c.id === conversationId ? 'active' : ''}`}
                aria-current={c.id === conversationId ? 'page' : undefined}
                onClick={() => window.matchMedia(PHONE).matches && setSidebarOpen(false)}
              >
                {c.title}
              </Link>
            </li>
          ))}
        </ul>
        {list.data && list.data.items.length === 0 ? (
          <p className="muted conv-empty">
            {query ? 'No conversation has that in its title.' : 'No conversations yet.'}
          </p>
        ) : null}
      </aside>
      <button
        type="button"
        className="conv-scrim"
        aria-label="Close conversations"
        tabIndex={-1}
        onClick={() => setSidebarOpen(false)}
      />
      <section className="chat-main" aria-label="Chat">
        <div className="chat-head">
          <button
            type="button"
            className="btn btn-ghost btn-sm conv-toggle"
            aria-expanded={sidebarOpen}
            aria-controls="conversation-list"
            onClick={() => setSidebarOpen((o) => !o)}
          >
            {sidebarOpen ? 'Hide conversations' : 'Conversations'}
          </button>
          <h1 className="chat-title">Chat</h1>
        </div>
        {kbs.loading ? (
          <Loading label="Loading knowledge bases…" />
        ) : kbs.error ? (
          <ErrorState error={kbs.error} onRetry={kbs.reload} />
        ) : conversationId ? (
          <SavedConversation
            key={conversationId}
            id={conversationId}
            kbs={kbs.data ?? []}
            localModelIds={localModelIds}
            onDeleted={() => navigate('/chat', { replace: true })}
          />
        ) : (kbs.data ?? []).length === 0 ? (
          <Empty title="No knowledge base to chat with">Ask an administrator to share a knowledge base with you.</Empty>
        ) : (
          <NewConversation
            kbs={kbs.data ?? []}
            kbId={params.get('kb') ?? ''}
            onKbChange={(id) => setParams(id ? { kb: id } : {}, { replace: true })}
            localModelIds={localModelIds}
            onStarted={(id) => {
              void invalidate([keys.conversations.lists]);
              navigate(`/chat/${id}`, { replace: true, state: { started: true } });
            }}
          />
        )}
      </section>
    </div>
  );
}

function KbModelNote({ kb }: { kb: Kb }) {
  const g = kb.generation_model;
  if (!g) return <p className="muted chat-model">The generation model of this knowledge base is unknown.</p>;
  return (
    <p className="muted chat-model">
      Answers by <strong>{g.name}</strong>
      {g.provider === 'local' ? ' — quotes the sources, no LLM' : ` (${providerLabel(g.provider)})`}
      {g.status !== 'active' ? ` — ${g.status}, the default model stands in` : ''}.{' '}
      <Link to={`/kbs/${kb.id}`}>Documents</Link>
    </p>
  );
}

/** Streams one answer: its live state, and a stop that aborts the request (the server keeps the partial answer). */
function useAnswerStream() {
  const [live, setLive] = useState<LiveAnswer | undefined>();
  const abort = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => abort.current?.abort(), []);
  const patch = (update: Partial<LiveAnswer> | ((l: LiveAnswer) => Partial<LiveAnswer>)) =>
    setLive((l) => (l ? { ...l, ...(typeof update === 'function' ? update(l) : update) } : l));

  /** Runs `request`; resolves to the saved conversation's id (from the headers), or throws before the stream. */
  const run = async (
    start: LiveAnswer,
    request: (handlers: Parameters<typeof streamAnswer>[2], signal: AbortSignal) => Promise<void>,
  ): Promise<string | undefined> => {
    const controller = new AbortController();
    abort.current = controller;
    setLive(start);
    let conversation: string | undefined;
    try {
      await request(
        {
          onOpen: (headers) => {
            conversation = headers.get('x-conversation-id') ?? undefined;
          },
          onToken: (t) => patch((l) => ({ answer: l.answer + t })),
          onCitations: (citations) => patch({ citations }),
          onDone: (done) => {
            conversation ??= done.conversation_id;
            patch({ done });
          },
          onStreamError: (error) => patch({ error }),
        },
        controller.signal,
      );
      return conversation;
    } finally {
      if (abort.current === controller) abort.current = undefined;
    }
  };
  return {
    live,
    run,
    clear: () => setLive(undefined),
    stop: () => abort.current?.abort(),
  };
}

function NewConversation({
  kbs,
  kbId,
  onKbChange,
  localModelIds,
  onStarted,
}: {
  kbs: Kb[];
  kbId: string;
  onKbChange: (id: string) => void;
  localModelIds: Set<string>;
  onStarted: (id: string) => void;
}) {
  const kb = kbs.find((k) => k.id === kbId);
  const stream = useAnswerStream();
  const [error, setError] = useState<ApiError | undefined>();
  const [pending, setPending] = useState(false);

  // Without a choice, start with the first KB (most users have one or two).
  useEffect(() => {
    const first = kbs[0];
    if (!kbId && first) onKbChange(first.id);
  }, [kbId, kbs, onKbChange]);

  const ask = async (question: string): Promise<boolean> => {
    if (!kb) return false;
    setError(undefined);
    setPending(true);
    try {
      const blank = { answer: '', citations: undefined, done: undefined, error: undefined };
      const id = await stream.run({ question, ...blank }, (handlers, signal) =>
        askKb({ kb_id: kb.id, message: question }, handlers, signal),
      );
      if (id) onStarted(id);
      return true;
    } catch (e) {
      stream.clear();
      setError(toApiError(e));
      return false;
    } finally {
      setPending(false);
    }
  };

  return (
    <>
      <div className="chat-top">
        <SelectField
          label="Knowledge base"
          value={kb ? kb.id : ''}
          placeholder={kb ? undefined : 'Choose a knowledge base'}
          onChange={onKbChange}
          options={kbs.map((k) => ({ value: k.id, label: k.name }))}
          className="chat-kb"
        />
        {kb ? <KbModelNote kb={kb} /> : null}
      </div>
      <Thread>
        {stream.live ? (
          <Exchange
            question={stream.live.question}
            answer={<LiveAnswerView live={stream.live} local={localModelIds} />}
          />
        ) : kb ? (
          <div className="chat-empty">
            <p className="state-title">Ask {kb.name} a question</p>
            <p className="muted">
              For example: "What does the handbook say about vacation?" Answers cite their sources as [1], [2] …
            </p>
          </div>
        ) : (
          <Empty title="This knowledge base is not available">
            It does not exist or is not shared with you. Choose another one above.
          </Empty>
        )}
      </Thread>
      {error ? (
        <ErrorBanner error={error} title="The question could not be answered" onDismiss={() => setError(undefined)} />
      ) : null}
      <Composer
        placeholder={kb ? `Ask ${kb.name}…` : 'Choose a knowledge base first'}
        disabled={!kb}
        streaming={pending}
        onAsk={ask}
        onStop={stream.stop}
      />
    </>
  );
}

function SavedConversation({
  id,
  kbs,
  localModelIds,
  onDeleted,
}: {
  id: string;
  kbs: Kb[];
  localModelIds: Set<string>;
  onDeleted: () => void;
}) {
  const toast = useToast();
  // While an answer of this conversation is still being written by the server and not by this
  // page (just stopped, or streaming in another tab), the view refreshes until it settles.
  const stream = useAnswerStream();
  const [pending, setPending] = useState(false);
  const conversation = useQuery(
    keys.conversations.detail(id),
    () => call(api.GET('/api/v1/conversations/{id}', { params: { path: { id } } })),
    {
      pollMs: (d) => (!pending && (d?.messages ?? []).some((m: Message) => m.status === 'streaming') ? 1_000 : false),
    },
  );
  const invalidate = useInvalidate();
  const forget = useForget();
  const [error, setError] = useState<ApiError | undefined>();
  const [confirmDelete, setConfirmDelete] = useState(false);

  const c = conversation.data;
  const usable = c?.kbs.filter((k) => k.access === 'ok') ?? [];
  const firstKb = kbs.find((k) => k.id === usable[0]?.id);

  const answerWith = async (start: LiveAnswer, request: Parameters<typeof stream.run>[1]): Promise<boolean> => {
    setError(undefined);
    setPending(true);
    try {
      await stream.run(start, request);
      return true;
    } catch (e) {
      setError(toApiError(e));
      return false;
    } finally {
      setPending(false);
      // The saved thread replaces the live answer; the list moves the conversation up.
      await invalidate(changed.conversation(id));
      stream.clear();
    }
  };
  const blank = { answer: '', citations: undefined, done: undefined, error: undefined };
  const ask = (question: string) =>
    answerWith({ question, ...blank }, (handlers, signal) =>
      streamAnswer(`/api/v1/conversations/${id}/messages`, { content: question }, handlers, signal),
    );
  const regenerate = (question: Message, answerId: string) =>
    void answerWith({ question: question.content, questionId: question.id, ...blank }, (handlers, signal) =>
      streamAnswer(`/api/v1/conversations/${id}/messages/${answerId}/regenerate`, {}, handlers, signal),
    );
  const judge = useMutation(
    (answerId: string, helpful: boolean | undefined) =>
      helpful === undefined
        ? call(
            api.DELETE('/api/v1/conversations/{id}/messages/{messageId}/feedback', {
              params: { path: { id, messageId: answerId } },
            }),
          )
        : call(
            api.PUT('/api/v1/conversations/{id}/messages/{messageId}/feedback', {
              params: { path: { id, messageId: answerId } },
              body: { helpful },
            }),
          ),
    {
      invalidates: [keys.conversations.detail(id)],
      onSuccess: (_, __, helpful) =>
        toast.success(helpful === undefined ? 'Feedback taken back' : 'Thanks for the feedback'),
      onError: (e) => toast.error(e, 'Feedback not saved'),
    },
  );
  const remove = useMutation(() => call(api.DELETE('/api/v1/conversations/{id}', { params: { path: { id } } })), {
    invalidates: [keys.conversations.lists],
    onSuccess: () => {
      setConfirmDelete(false);
      onDeleted();
      forget(keys.conversations.detail(id));
    },
    onError: (e) => toast.error(e, 'Not deleted'),
  });

  if (conversation.loading && !c) return <Loading label="Loading the conversation…" />;
  if (conversation.error && !c) {
    return conversation.error.status === 404 ? (
      <Empty title="This conversation does not exist">
        It was deleted, or it is not yours. <Link to="/chat">Start a new one</Link>.
      </Empty>
    ) : (
      <ErrorState error={conversation.error} onRetry={conversation.reload} />
    );
  }
  if (!c) return null;

  const exchanges = pairUp(c.messages);
  const lost = c.kbs.filter((k) => k.access !== 'ok');
  return (
    <>
      <div className="chat-top">
        <div className="chat-conv-title">
          <h2 className="conv-title" title={c.title}>
            {c.title}
          </h2>
          <p className="muted chat-model">
            Asks {usable.map((k) => k.name).join(', ') || 'no knowledge base you can read'}
            {firstKb?.generation_model ? ` · answers by ${firstKb.generation_model.name}` : ''}
          </p>
        </div>
        <div className="chat-conv-actions">
          <a className="btn btn-ghost btn-sm" href={`/api/v1/conversations/${id}/export?format=markdown`} download>
            Export
          </a>
          <Button size="sm" variant="ghost" onClick={() => setConfirmDelete(true)}>
            Delete
          </Button>
        </div>
      </div>
      {lost.length > 0 ? (
        <p className="answer-note answer-note-warning" role="note">
          {lost.length === 1 ? 'A knowledge base of this conversation is' : `${lost.length} of its knowledge bases are`}{' '}
          no longer available to you ({lost.map((k) => (k.access === 'deleted' ? 'deleted' : 'access lost')).join(', ')}
          ); {usable.length > 0 ? 'the others are asked.' : 'it cannot continue.'}
        </p>
      ) : null}
      <Thread>
        {exchanges.map(({ question, answers }) => {
          const regenerating = stream.live?.questionId === question.id;
          const latest = answers.at(-1);
          return (
            <Exchange
              key={question.id}
              question={question.content}
              answer={
                regenerating && stream.live ? (
                  <LiveAnswerView live={stream.live} local={localModelIds} />
                ) : latest ? (
                  <SavedAnswerView
                    message={latest}
                    versions={answers.length}
                    local={localModelIds}
                    busy={pending}
                    onRegenerate={() => regenerate(question, latest.id)}
                    onJudge={(helpful) => void judge.run(latest.id, helpful)}
                  />
                ) : null
              }
            />
          );
        })}
        {stream.live && !stream.live.questionId ? (
          <Exchange
            question={stream.live.question}
            answer={<LiveAnswerView live={stream.live} local={localModelIds} />}
          />
        ) : null}
      </Thread>
      {error ? (
        <ErrorBanner error={error} title="The question could not be answered" onDismiss={() => setError(undefined)} />
      ) : null}
      <Composer
        placeholder={usable[0]?.name ? `Ask ${usable[0].name}…` : 'This conversation cannot continue'}
        disabled={usable.length === 0}
        streaming={pending}
        onAsk={ask}
        onStop={stream.stop}
      />
      <ConfirmModal
        open={confirmDelete}
        title="Delete this conversation?"
        confirmLabel="Delete"
        danger
        pending={remove.pending}
        onClose={() => setConfirmDelete(false)}
        onConfirm={() => void remove.run()}
      >
        “{c.title}” and its answers are deleted for good.
      </ConfirmModal>
    </>
  );
}

/** Questions in order, each with its answers (versions, oldest first). */
function pairUp(messages: Message[]): { question: Message; answers: Message[] }[] {
  const out: { question: Message; answers: Message[] }[] = [];
  const byQuestion = new Map<string, Message[]>();
  for (const m of messages) {
    if (m.role === 'user') {
      const answers: Message[] = [];
      byQuestion.set(m.id, answers);
      out.push({ question: m, answers });
    } else if (m.reply_to) byQuestion.get(m.reply_to)?.push(m);
  }
  return out;
}

/** The one scrolling area: follows a growing answer unless the reader scrolled up. */
function Thread({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new MutationObserver(() => {
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el, { childList: true, subtree: true, characterData: true });
    el.scrollTop = el.scrollHeight;
    return () => observer.disconnect();
  }, []);
  return (
    <div
      ref={ref}
      className="chat-log"
      role="log"
      aria-label="Conversation"
      tabIndex={-1}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {children}
    </div>
  );
}

function Exchange({ question, answer }: { question: string; answer: ReactNode }) {
  return (
    <article className="turn" aria-label={`Question: ${question}`}>
      <div className="bubble bubble-user">
        <span className="sr-only">You asked: </span>
        {question}
      </div>
      {answer}
    </article>
  );
}

function Composer({
  placeholder,
  disabled,
  streaming,
  onAsk,
  onStop,
}: {
  placeholder: string;
  disabled: boolean;
  streaming: boolean;
  onAsk: (question: string) => Promise<boolean>;
  onStop: () => void;
}) {
  const [draft, setDraft] = useState('');
  const send = async () => {
    const text = draft.trim();
    if (!text || streaming || disabled) return;
    setDraft('');
    // Refused before anything streamed: the question comes back into the box to retry.
    if (!(await onAsk(text))) setDraft(text);
  };
  useEffect(() => {
    if (!streaming) return;
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === 'Escape') onStop();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [streaming, onStop]);
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };
  return (
    <form
      className="chat-composer"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void send();
      }}
      aria-label="Ask a question"
    >
      <label htmlFor="chat-question" className="sr-only">
        Your question
      </label>
      <textarea
        id="chat-question"
        className="input textarea chat-input"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onKeyDown}
        placeholder={`${placeholder} (Enter sends, Shift+Enter for a new line, Esc stops)`}
        rows={2}
        maxLength={8000}
        disabled={disabled}
      />
      <div className="chat-actions">
        {streaming ? (
          <Button onClick={onStop} aria-keyshortcuts="Escape">
            Stop
          </Button>
        ) : (
          <Button type="submit" variant="primary" disabled={!draft.trim() || disabled}>
            Send
          </Button>
        )}
      </div>
    </form>
  );
}

function LiveAnswerView({ live, local }: { live: LiveAnswer; local: Set<string> }) {
  const streaming = !live.done && !live.error;
  return (
    <AnswerFrame
      text={live.answer}
      citations={live.citations}
      streaming={streaming}
      extractive={live.done ? local.has(live.done.model_id) : false}
      meta={
        live.done
          ? {
              modelName: live.done.model_name,
              passages: live.done.passages_retrieved,
              cut: live.done.finish_reason === 'length',
              fallback: live.done.fallback_used ? (live.done.fallback_reason ?? '') : null,
            }
          : undefined
      }
      error={live.error}
    />
  );
}

function SavedAnswerView({
  message,
  versions,
  local,
  busy,
  onRegenerate,
  onJudge,
}: {
  message: Message;
  versions: number;
  local: Set<string>;
  busy: boolean;
  onRegenerate: () => void;
  onJudge: (helpful: boolean | undefined) => void;
}) {
  const toast = useToast();
  const helpful = message.feedback?.helpful;
  const ended = message.status !== 'streaming';
  return (
    <AnswerFrame
      text={message.content}
      citations={message.citations as unknown as Citation[]}
      streaming={message.status === 'streaming'}
      extractive={message.model_id ? local.has(message.model_id) : false}
      meta={{
        modelName: message.model_name,
        passages: null,
        cut: false,
        fallback: message.fallback_reason,
      }}
      error={message.error ? toApiError(Object.assign(new Error(message.error.message), message.error)) : undefined}
      status={message.status}
      version={versions > 1 ? `Version ${message.version} · ${versions - 1} earlier kept` : undefined}
      actions={
        ended ? (
          <div className="answer-actions">
            <Button
              size="sm"
              variant="ghost"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(splitNotice(message.content).body);
                  toast.success('Answer copied');
                } catch (e) {
                  toast.error(e, 'Could not copy');
                }
              }}
            >
              Copy
            </Button>
            <Button size="sm" variant="ghost" disabled={busy} onClick={onRegenerate}>
              Regenerate
            </Button>
            <Button
              size="sm"
              variant="ghost"
              aria-pressed={helpful === true}
              onClick={() => onJudge(helpful === true ? undefined : true)}
            >
              👍 Helpful
            </Button>
            <Button
              size="sm"
              variant="ghost"
              aria-pressed={helpful === false}
              onClick={() => onJudge(helpful === false ? undefined : false)}
            >
              👎 Not helpful
            </Button>
          </div>
        ) : null
      }
    />
  );
}

const STATUS_NOTE: Record<string, string> = {
  stopped: 'Stopped.',
  interrupted: 'Interrupted: the service went away while writing this answer. Regenerate to try again.',
  streaming: 'Still being written…',
};

function AnswerFrame({
  text,
  citations,
  streaming,
  extractive: extractiveModel,
  meta,
  error,
  status,
  version,
  actions,
}: {
  text: string;
  citations: Citation[] | undefined;
  streaming: boolean;
  extractive: boolean;
  meta: { modelName: string | null; passages: number | null; cut: boolean; fallback: string | null } | undefined;
  error: ApiError | undefined;
  status?: string;
  version?: string | undefined;
  actions?: ReactNode;
}) {
  const { body, notice } = splitNotice(text);
  const extractive = extractiveModel || notice !== undefined;
  return (
    <div
      className={`bubble bubble-answer ${streaming ? 'bubble-streaming' : ''}`}
      aria-busy={streaming}
      data-testid="answer"
    >
      {text === '' && streaming ? (
        <span className="muted">Searching the documents…</span>
      ) : (
        <div className="answer-text">
          <AnswerMarkdown text={body} citations={citations} />
          {streaming ? <span className="caret" aria-hidden="true" /> : null}
        </div>
      )}
      {error ? <ErrorBanner error={error} title="The answer stopped" /> : null}
      {status && STATUS_NOTE[status] ? <p className="muted">{STATUS_NOTE[status]}</p> : null}
      {meta ? (
        <div className="answer-meta" data-testid="answer-meta">
          {extractive ? (
            <span className="badge badge-info" data-testid="extractive-badge">
              Extractive answer · no LLM
            </span>
          ) : null}
          {meta.fallback !== null ? (
            <span className="badge badge-warning" data-testid="fallback-badge">
              Fallback model
            </span>
          ) : null}
          <span className="muted">
            Answered by {meta.modelName ?? 'the default model'}
            {meta.passages !== null ? ` · ${meta.passages} passage${meta.passages === 1 ? '' : 's'} retrieved` : ''}
            {meta.cut ? ' · cut at the answer length limit' : ''}
            {version ? ` · ${version}` : ''}
          </span>
        </div>
      ) : null}
      {meta && meta.fallback !== null ? (
        <p className="answer-note answer-note-warning" role="note">
          {meta.fallback || "The knowledge base's generation model was unavailable."}
        </p>
      ) : null}
      {notice ? (
        <p className="answer-note" role="note">
          {notice}
        </p>
      ) : extractive && meta ? (
        <p className="answer-note" role="note">
          LumiKB's built-in answerer quoted the most relevant sentences; no language model was used.
        </p>
      ) : null}
      {citations && citations.length > 0 ? <Sources citations={citations} /> : null}
      {meta && !streaming && citations?.length === 0 ? (
        <p className="muted">No passages of this knowledge base matched the question.</p>
      ) : null}
      {actions}
    </div>
  );
}

/**
 * The answer as Markdown. react-markdown builds React elements from the Markdown syntax
 * tree and never renders raw HTML (it shows as text); its URL filter drops javascript:
 * links. [n] markers become links to #cite-n, drawn as badges opening the cited chunk.
 */
function AnswerMarkdown({ text, citations }: { text: string; citations: Citation[] | undefined }) {
  const source = text.replace(/\[(\d{1,3})\](?!\()/g, '[$1](#cite-$1)');
  return (
    <Markdown
      remarkPlugins={[remarkGfm]}
      components={{
        a: ({ href, children }) => {
          const cite = href?.match(/^#cite-(\d{1,3})$/);
          if (cite) return <CitationBadge n={cite[1]!} citations={citations} />;
          return (
            <a href={href} target="_blank" rel="noopener noreferrer nofollow">
              {children}
            </a>
          );
        },
        img: ({ alt }) => <span>{alt}</span>,
      }}
    >
      {source}
    </Markdown>
  );
}

function CitationBadge({ n, citations }: { n: string; citations: Citation[] | undefined }) {
  const citation = citations?.find((c) => c.marker === `[${n}]`);
  if (!citation) return <span className="citation-badge">{n}</span>;
  return (
    <Link
      to={viewerPath(citation.kb_id, citation.document_id, citation.chunk_index)}
      className="citation-badge citation-link"
      aria-label={`Source ${n}: ${citation.document_name}, chunk ${citation.chunk_index + 1}`}
      title={`${citation.document_name} · chunk ${citation.chunk_index + 1}${citation.location ? ` · ${describeLocation(citation.location)}` : ''}`}
    >
      {n}
    </Link>
  );
}

function Sources({ citations }: { citations: Citation[] }) {
  return (
    <div className="sources">
      <h3 className="sources-title">Sources</h3>
      <ol className="sources-list" aria-label="Sources">
        {citations.map((c) => (
          <li key={`${c.marker}-${c.document_id}-${c.chunk_index}`}>
            <span className="citation-badge" aria-hidden="true">
              {c.marker.replace(/[[\]]/g, '')}
            </span>
            <span className="stack-tight">
              <Link to={viewerPath(c.kb_id, c.document_id, c.chunk_index)}>
                {c.document_name} · chunk {c.chunk_index + 1}
                {c.location && describeLocation(c.location) ? (
                  <span data-testid="citation-location"> · {describeLocation(c.location)}</span>
                ) : null}
              </Link>
              <span className="cell-sub">{c.text.length > 220 ? `${c.text.slice(0, 220)}…` : c.text}</span>
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}
