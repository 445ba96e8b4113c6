/**
 * The knowledge bases the user can read, with their models, document figures and the
 * user's permission; operators and administrators create new ones from here.
 */
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../../api/client.ts';
import { useQuery } from '../../api/hooks.ts';
import { keys } from '../../api/keys.ts';
import { LEVEL, useUser } from '../../app/session.tsx';
import { Button } from '../../components/Button.tsx';
import { TextField } from '../../components/Field.tsx';
import { accessName, formatNumber, formatRelative } from '../../components/format.ts';
import { PageHeader, Toolbar } from '../../components/Layout.tsx';
import { Empty, QueryView } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import type { KbList } from './kbApi.ts';
import { providerLabel } from './ModelPicker.tsx';

const PAGE = 24;

export function KnowledgeBasesPage() {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const [draft, setDraft] = useState(q);
  useEffect(() => setDraft(q), [q]);

  // Debounced name filter, kept in the URL (shareable, survives reload).
  useEffect(() => {
    if (draft === q) return;
    const timer = window.setTimeout(() => {
      const next = new URLSearchParams(params);
      if (draft) next.set('q', draft);
      else next.delete('q');
      next.delete('offset');
      setParams(next, { replace: true });
    }, 250);
    return () => window.clearTimeout(timer);
  }, [draft, q, params, setParams]);

  const query = { limit: PAGE, offset, ...(q ? { q } : {}) };
  // The list stays on screen while the next filter or page loads; figures refresh every 15 s.
  const kbs = useQuery(keys.kbs.list(query), () => call(api.GET('/api/v1/knowledge-bases', { params: { query } })), {
    pollMs: 15_000,
    keepPrevious: true,
  });
  const canCreate = user.permission_level >= LEVEL.operator;

  return (
    <>
      <PageHeader
        title="Knowledge bases"
        description="Collections of documents you can search and chat with. Open one to upload documents and follow their processing."
        actions={
          canCreate ? (
            <Link className="btn btn-primary" to="/kbs/new">
              New knowledge base
            </Link>
          ) : undefined
        }
      />
      <Toolbar>
        <TextField
          label="Filter by name"
          type="search"
          value={draft}
          onChange={setDraft}
          placeholder="e.g. handbook"
          autoComplete="off"
        />
      </Toolbar>
      <QueryView
        query={kbs}
        loadingLabel="Loading knowledge bases…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          q ? (
            <Empty title={`No knowledge base matches "${q}"`}>Try another name or clear the filter.</Empty>
          ) : canCreate ? (
            <Empty
              title="No knowledge bases yet"
              action={
                <Link className="btn btn-primary" to="/kbs/new">
                  Create the first one
                </Link>
              }
            >
              A knowledge base holds documents and the models that index and answer them.
            </Empty>
          ) : (
            <Empty title="No knowledge base is shared with you yet">
              Ask an administrator to give you access to one.
            </Empty>
          )
        }
      >
        {(data) => (
          <>
            <ul className="kb-grid" aria-label="Knowledge bases">
              {data.items.map((kb) => (
                <KbCard key={kb.id} kb={kb} />
              ))}
            </ul>
            {data.total > PAGE ? (
              <nav className="pager" aria-label="Pages">
                <span>
                  {offset + 1}–{Math.min(offset + PAGE, data.total)} of {data.total}
                </span>
                <Button
                  size="sm"
                  disabled={offset === 0}
                  onClick={() => setParams({ ...(q ? { q } : {}), offset: String(Math.max(0, offset - PAGE)) })}
                >
                  Previous
                </Button>
                <Button
                  size="sm"
                  disabled={offset + PAGE >= data.total}
                  onClick={() => setParams({ ...(q ? { q } : {}), offset: String(offset + PAGE) })}
                >
                  Next
                </Button>
              </nav>
            ) : null}
          </>
        )}
      </QueryView>
    </>
  );
}

function KbCard({ kb }: { kb: KbList['items'][number] }) {
  const d = kb.documents;
  const busy = d.PENDING + d.PROCESSING;
  return (
    <li className="kb-card card">
      <div className="kb-card-head">
        <h2 className="kb-card-title">
          <Link to={`/kbs/${kb.id}`}>{kb.name}</Link>
        </h2>
        <StatusBadge status={kb.permission} tone={kb.permission === 'READ' ? 'neutral' : 'info'}>
          {accessName(kb.permission)}
        </StatusBadge>
      </div>
      {kb.description ? <p className="kb-card-description">{kb.description}</p> : null}
      <p className="kv-inline">
        <span>
          {formatNumber(d.total)} document{d.total === 1 ? '' : 's'}
        </span>
        {d.READY ? <span>{formatNumber(d.READY)} ready</span> : null}
        {busy ? <span>{formatNumber(busy)} processing</span> : null}
        {d.FAILED ? <span className="text-danger">{formatNumber(d.FAILED)} failed</span> : null}
      </p>
      <p className="kv-inline">
        <span>
          Embedding: {kb.embedding_model?.name ?? 'unknown model'}
          {kb.embedding_model ? ` · ${providerLabel(kb.embedding_model.provider)}` : ''} · {kb.dimensions} dims
        </span>
        <span>Generation: {kb.generation_model?.name ?? 'unknown model'}</span>
      </p>
      <div className="kb-card-foot">
        <span className="muted">Updated {formatRelative(kb.updated_at)}</span>
        <span className="row">
          <Link className="btn btn-sm btn-ghost" to={`/search?kb=${kb.id}`} aria-label={`Search ${kb.name}`}>
            Search
          </Link>
          <Link className="btn btn-sm btn-ghost" to={`/chat?kb=${kb.id}`} aria-label={`Chat with ${kb.name}`}>
            Chat
          </Link>
        </span>
      </div>
    </li>
  );
}
