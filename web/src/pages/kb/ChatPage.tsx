/**
 * Chat with one knowledge base: the answer streams in as it is written (POST /api/v1/chat
 * read as server-sent events), its [n] markers become citation badges that open the
 * viewer at the cited chunk, and the page says when a fallback model answered or when the
 * built-in extractive answerer (no LLM) quoted the sources.
 */
import { describeLocation } from '@lumikb/contracts/chunk-location';
import { type FormEvent, type KeyboardEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { ApiError } from '../../api/client.ts';
import { toApiError } from '../../api/client.ts';
import { Button } from '../../components/Button.tsx';
import { SelectField } from '../../components/Field.tsx';
import { PageHeader } from '../../components/Layout.tsx';
import { Empty, ErrorBanner, ErrorState, Loading } from '../../components/States.tsx';
import {
  askKb,
  type ChatDone,
  type Citation,
  type KbList,
  useAvailableModels,
  useReadableKbs,
  viewerPath,
} from './kbApi.ts';
import { providerLabel } from './ModelPicker.tsx';

interface Turn {
  id: number;
  question: string;
  answer: string;
  citations: Citation[] | undefined;
  done: ChatDone | undefined;
  error: ApiError | undefined;
  streaming: boolean;
  stopped?: boolean;
}

const NOTICE = /\n*\s*(Extractive answer:[^\n]*no language model[^\n]*)\s*$/i;
const HISTORY_TURNS = 6;

/** The answer without the extractive answerer's trailing notice, and the notice. */
function splitNotice(answer: string): { body: string; notice: string | undefined } {
  const m = answer.match(NOTICE);
  return m ? { body: answer.slice(0, m.index).trimEnd(), notice: m[1] } : { body: answer, notice: undefined };
}

export function ChatPage() {
  const [params, setParams] = useSearchParams();
  const kbs = useReadableKbs();
  const models = useAvailableModels();
  const kbId = params.get('kb') ?? '';
  const kb = kbs.data?.find((k) => k.id === kbId);

  // Without a choice, start with the first KB (most users have one or two).
  useEffect(() => {
    const first = kbs.data?.[0];
    if (!kbId && first) setParams({ kb: first.id }, { replace: true });
  }, [kbId, kbs.data, setParams]);

  return (
    <>
      <PageHeader
        title="Chat"
        description="Ask questions in plain language. Answers come from the documents of one knowledge base, with their sources."
      />
      {kbs.loading ? (
        <Loading label="Loading knowledge bases…" />
      ) : kbs.error ? (
        <ErrorState error={kbs.error} onRetry={kbs.reload} />
      ) : (kbs.data ?? []).length === 0 ? (
        <Empty title="No knowledge base to chat with">Ask an administrator to share a knowledge base with you.</Empty>
      ) : (
        <>
          <div className="chat-top">
            <SelectField
              label="Knowledge base"
              value={kb ? kb.id : ''}
              placeholder={kb ? undefined : 'Choose a knowledge base'}
              onChange={(id) => setParams(id ? { kb: id } : {})}
              options={(kbs.data ?? []).map((k) => ({ value: k.id, label: k.name }))}
              className="chat-kb"
            />
            {kb ? <KbModelNote kb={kb} /> : null}
          </div>
          {kb ? (
            <Conversation key={kb.id} kb={kb} localModelIds={localIds(models.data?.items)} />
          ) : kbId ? (
            <Empty title="This knowledge base is not available">
              It does not exist or is not shared with you. Choose another one above.
            </Empty>
          ) : null}
        </>
      )}
    </>
  );
}

function localIds(items: { id: string; provider: string }[] | undefined): Set<string> {
  return new Set((items ?? []).filter((m) => m.provider === 'local').map((m) => m.id));
}

function KbModelNote({ kb }: { kb: KbList['items'][number] }) {
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

function Conversation({ kb, localModelIds }: { kb: KbList['items'][number]; localModelIds: Set<string> }) {
  const [turns, setTurns] = useState<Turn[]>([]);
  const [draft, setDraft] = useState('');
  const [startError, setStartError] = useState<ApiError | undefined>();
  const abort = useRef<AbortController | undefined>(undefined);
  const log = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const nextId = useRef(1);
  const streaming = turns.some((t) => t.streaming);

  useEffect(() => () => abort.current?.abort(), []);

  // Follow the answer as it grows, unless the reader scrolled up.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every change of the turns
  useEffect(() => {
    const el = log.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [turns]);

  const patch = (id: number, update: (t: Turn) => Partial<Turn>) =>
    setTurns((all) => all.map((t) => (t.id === id ? { ...t, ...update(t) } : t)));

  const ask = async (question: string) => {
    const text = question.trim();
    if (!text || streaming) return;
    const history = turns
      .filter((t) => t.done && !t.error)
      .slice(-HISTORY_TURNS)
      .flatMap((t) => [
        { role: 'user' as const, content: t.question },
        { role: 'assistant' as const, content: splitNotice(t.answer).body },
      ]);
    const id = nextId.current++;
    setTurns((all) => [
      ...all,
      { id, question: text, answer: '', citations: undefined, done: undefined, error: undefined, streaming: true },
    ]);
    setDraft('');
    setStartError(undefined);
    stick.current = true;
    const controller = new AbortController();
    abort.current = controller;
    try {
      await askKb(
        { kb_id: kb.id, message: text, ...(history.length > 0 ? { history } : {}) },
        {
          onToken: (t) => patch(id, (turn) => ({ answer: turn.answer + t })),
          onCitations: (citations) => patch(id, () => ({ citations })),
          onDone: (done) => patch(id, () => ({ done })),
          onStreamError: (error) => patch(id, () => ({ error })),
        },
        controller.signal,
      );
      if (controller.signal.aborted) patch(id, (t) => ({ answer: t.answer ? `${t.answer} …` : '', stopped: true }));
    } catch (e) {
      const error = toApiError(e);
      // Refused before anything streamed: keep the question in the box to retry.
      setTurns((all) => all.filter((t) => t.id !== id || t.answer !== ''));
      patch(id, () => ({ error }));
      setStartError(error);
      setDraft(text);
    } finally {
      patch(id, () => ({ streaming: false }));
      if (abort.current === controller) abort.current = undefined;
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void ask(draft);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void ask(draft);
    }
  };

  return (
    <div className="chat">
      <div
        ref={log}
        className="chat-log"
        role="log"
        aria-label="Conversation"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {turns.length === 0 ? (
          <div className="chat-empty">
            <p className="state-title">Ask {kb.name} a question</p>
            <p className="muted">
              For example: "What does the handbook say about vacation?" Answers cite their sources as [1], [2] …
            </p>
          </div>
        ) : (
          turns.map((t) => <TurnView key={t.id} turn={t} local={t.done ? localModelIds.has(t.done.model_id) : false} />)
        )}
      </div>
      {startError ? (
        <ErrorBanner
          error={startError}
          title="The question could not be answered"
          onDismiss={() => setStartError(undefined)}
        />
      ) : null}
      <form className="chat-composer" onSubmit={submit} aria-label="Ask a question">
        <label htmlFor="chat-question" className="sr-only">
          Your question
        </label>
        <textarea
          id="chat-question"
          className="input textarea chat-input"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKeyDown}
          placeholder={`Ask ${kb.name}… (Enter sends, Shift+Enter for a new line)`}
          rows={2}
          maxLength={8000}
        />
        <div className="chat-actions">
          {streaming ? (
            <Button onClick={() => abort.current?.abort()}>Stop</Button>
          ) : (
            <Button type="submit" variant="primary" disabled={!draft.trim()}>
              Send
            </Button>
          )}
          <Button
            variant="ghost"
            disabled={turns.length === 0 || streaming}
            onClick={() => {
              setTurns([]);
              setStartError(undefined);
            }}
          >
            New conversation
          </Button>
        </div>
      </form>
    </div>
  );
}

function TurnView({ turn, local }: { turn: Turn; local: boolean }) {
  const { body, notice } = splitNotice(turn.answer);
  const extractive = local || notice !== undefined;
  return (
    <article className="turn" aria-label={`Question: ${turn.question}`}>
      <div className="bubble bubble-user">
        <span className="sr-only">You asked: </span>
        {turn.question}
      </div>
      <div
        className={`bubble bubble-answer ${turn.streaming ? 'bubble-streaming' : ''}`}
        aria-busy={turn.streaming}
        data-testid="answer"
      >
        {turn.answer === '' && turn.streaming ? (
          <span className="muted">Searching the documents…</span>
        ) : (
          <p className="answer-text">
            <AnswerText text={body} citations={turn.citations} />
            {turn.streaming ? <span className="caret" aria-hidden="true" /> : null}
          </p>
        )}
        {turn.error && turn.answer !== '' ? <ErrorBanner error={turn.error} title="The answer stopped" /> : null}
        {turn.stopped ? <p className="muted">Stopped.</p> : null}
        {turn.done ? (
          <div className="answer-meta" data-testid="answer-meta">
            {extractive ? (
              <span className="badge badge-info" data-testid="extractive-badge">
                Extractive answer · no LLM
              </span>
            ) : null}
            {turn.done.fallback_used ? (
              <span className="badge badge-warning" data-testid="fallback-badge">
                Fallback model
              </span>
            ) : null}
            <span className="muted">
              Answered by {turn.done.model_name ?? 'the default model'} · {turn.done.passages_retrieved} passage
              {turn.done.passages_retrieved === 1 ? '' : 's'} retrieved
              {turn.done.finish_reason === 'length' ? ' · cut at the answer length limit' : ''}
            </span>
          </div>
        ) : null}
        {turn.done?.fallback_used ? (
          <p className="answer-note answer-note-warning" role="note">
            {turn.done.fallback_reason ?? "The knowledge base's generation model was unavailable."}
          </p>
        ) : null}
        {notice ? (
          <p className="answer-note" role="note">
            {notice}
          </p>
        ) : extractive && turn.done ? (
          <p className="answer-note" role="note">
            LumiKB's built-in answerer quoted the most relevant sentences; no language model was used.
          </p>
        ) : null}
        {turn.citations && turn.citations.length > 0 ? <Sources citations={turn.citations} /> : null}
        {turn.done && turn.citations?.length === 0 ? (
          <p className="muted">No passages of this knowledge base matched the question.</p>
        ) : null}
      </div>
    </article>
  );
}

/** The answer with its [n] markers as badges linking to the cited chunk. */
function AnswerText({ text, citations }: { text: string; citations: Citation[] | undefined }) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(/\[(\d{1,3})\]/g)) {
    const at = m.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    const citation = citations?.find((c) => c.marker === m[0]);
    parts.push(
      citation ? (
        <Link
          key={at}
          to={viewerPath(citation.kb_id, citation.document_id, citation.chunk_index)}
          className="citation-badge citation-link"
          aria-label={`Source ${m[1]}: ${citation.document_name}, chunk ${citation.chunk_index + 1}`}
          title={`${citation.document_name} · chunk ${citation.chunk_index + 1}${citation.location ? ` · ${describeLocation(citation.location)}` : ''}`}
        >
          {m[1]}
        </Link>
      ) : (
        <span key={at} className="citation-badge">
          {m[1]}
        </span>
      ),
    );
    last = at + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <>{parts}</>;
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
