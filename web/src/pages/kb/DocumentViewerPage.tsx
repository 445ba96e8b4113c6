/**
 * 7-8 Document viewer: the extracted text and the chunk list side by side in a resizable
 * split pane whose panels scroll independently. Choosing a chunk highlights its span in
 * the text and scrolls only the text panel to it; `?chunk=N` (search and chat citations)
 * opens the viewer at that chunk. Above the panes, the document's parts (slides, pages,
 * sheets with their rows, attachments, top-level headings) in one scrollable strip:
 * choosing one shows its text (`?part=N`); the part holding the chosen chunk is marked.
 */
import { describeLocation } from '@lumikb/contracts/chunk-location';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { api, call, errorFromResponse, sessionFetch, toApiError } from '../../api/client.ts';
import { useQuery } from '../../api/hooks.ts';
import { keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { formatBytes, formatNumber } from '../../components/format.ts';
import { PageHeader } from '../../components/Layout.tsx';
import { SplitPane } from '../../components/SplitPane.tsx';
import { Banner, Empty, ErrorState, Loading } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { type ProcessingSteps, StepBreakdown } from '../../components/StepBreakdown.tsx';
import { useToast } from '../../components/Toast.tsx';
import { type Chunk, type DocumentContent, type DocumentPart, type KbDocument, useDocumentTitle } from './kbApi.ts';

/** Scrolls `container` (only it) so that `target` sits near its top. */
function scrollWithin(container: HTMLElement | null, target: HTMLElement | null, margin = 48) {
  if (!container || !target) return;
  const delta = target.getBoundingClientRect().top - container.getBoundingClientRect().top - margin;
  container.scrollTop += delta;
}

export function DocumentViewerPage() {
  const { kbId = '', docId = '' } = useParams();
  const kb = useQuery(keys.kbs.detail(kbId), () =>
    call(api.GET('/api/v1/knowledge-bases/{id}', { params: { path: { id: kbId } } })),
  );
  // Followed every 2 s while it is being processed; its text is read once it is ready.
  const doc = useQuery(
    keys.kbs.document(kbId, docId),
    () => call(api.GET('/api/v1/knowledge-bases/{id}/documents/{docId}', { params: { path: { id: kbId, docId } } })),
    { pollMs: (d) => (d?.status === 'PENDING' || d?.status === 'PROCESSING' ? 2_000 : false) },
  );
  const processed = doc.data?.status === 'READY';
  const content = useQuery(
    keys.kbs.content(kbId, docId),
    () =>
      call(
        api.GET('/api/v1/knowledge-bases/{id}/documents/{docId}/content', { params: { path: { id: kbId, docId } } }),
      ),
    { enabled: processed },
  );

  const crumbs = [
    { label: 'Knowledge bases', to: '/kbs' },
    { label: kb.data?.name ?? 'Knowledge base', to: `/kbs/${kbId}` },
  ];
  const title = doc.data?.filename ?? 'Document';
  useDocumentTitle(doc.data?.filename);

  if (doc.error && !doc.data) {
    return (
      <>
        <PageHeader title="Document" breadcrumb={crumbs} />
        <ErrorState error={doc.error} onRetry={doc.reload} />
      </>
    );
  }
  if (!doc.data) return <Loading label="Loading the document…" />;

  return (
    <div className="viewer-page">
      <PageHeader
        title={title}
        breadcrumb={crumbs}
        description={<DocumentFacts doc={doc.data} content={content.data} />}
        actions={<DownloadOriginal kbId={kbId} doc={doc.data} />}
      />
      {!processed ? (
        <NotProcessed doc={doc.data} />
      ) : content.error && !content.data ? (
        <ErrorState error={content.error} onRetry={content.reload} />
      ) : !content.data ? (
        <Loading label="Loading the text and chunks…" />
      ) : (
        <Viewer content={content.data} filename={doc.data.filename} />
      )}
    </div>
  );
}

function DocumentFacts({ doc, content }: { doc: KbDocument; content: DocumentContent | undefined }) {
  return (
    <span className="kv-inline">
      <StatusBadge status={doc.status} />
      <span>
        {doc.format.toUpperCase()} · {formatBytes(doc.size_bytes)}
      </span>
      {content ? (
        <>
          <span>{formatNumber(content.character_count)} characters</span>
          <span>
            {formatNumber(content.chunks.length)} chunks of {formatNumber(content.chunk_size)} characters (overlap{' '}
            {formatNumber(content.chunk_overlap)})
          </span>
        </>
      ) : null}
    </span>
  );
}

function NotProcessed({ doc }: { doc: KbDocument }) {
  return (
    <div className="stack">
      {doc.status === 'FAILED' ? (
        <Banner tone="warning">
          <strong>This document could not be processed.</strong> {doc.error_message ?? ''} Retry it from the knowledge
          base's document list.
        </Banner>
      ) : (
        <Banner>The document is being processed; its text and chunks appear here when it is ready.</Banner>
      )}
      <StepBreakdown
        steps={doc.processing_steps as ProcessingSteps}
        errors={doc.step_errors}
        label={`Processing steps of ${doc.filename}`}
      />
    </div>
  );
}

function DownloadOriginal({ kbId, doc }: { kbId: string; doc: KbDocument }) {
  const toast = useToast();
  const [pending, setPending] = useState(false);
  return (
    <Button
      loading={pending}
      onClick={async () => {
        setPending(true);
        try {
          const res = await sessionFetch(new Request(`/api/v1/knowledge-bases/${kbId}/documents/${doc.id}/original`));
          if (!res.ok) throw errorFromResponse(res, await res.json().catch(() => undefined));
          const url = URL.createObjectURL(await res.blob());
          const a = document.createElement('a');
          a.href = url;
          a.download = doc.filename;
          a.click();
          window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
        } catch (e) {
          toast.error(toApiError(e), 'Download failed');
        } finally {
          setPending(false);
        }
      }}
    >
      Download original
    </Button>
  );
}

/** What the strip calls a document's parts, after the first one's kind. */
function partsHeading(parts: DocumentPart[]): string {
  const first = parts[0]?.location;
  if (!first) return 'Parts';
  if (first.part !== undefined) return 'Attachments';
  if (first.slide !== undefined) return 'Slides';
  if (first.page !== undefined) return 'Pages';
  if (first.sheet !== undefined) return 'Sheets';
  return 'Sections';
}

/** "Slide 2" + " — Numbers", "Sales" + " rows 1–40", "Page 3" + " — first words", "report.pdf". */
function partLabel(part: DocumentPart): { name: string; detail: string } {
  const l = part.location;
  const dash = part.title ? ` — ${part.title}` : '';
  if (l.part !== undefined) return { name: l.part, detail: '' };
  if (l.slide !== undefined)
    return { name: l.slide_end ? `Slides ${l.slide}–${l.slide_end}` : `Slide ${l.slide}`, detail: dash };
  if (l.page !== undefined)
    return { name: l.page_end ? `Pages ${l.page}–${l.page_end}` : `Page ${l.page}`, detail: dash };
  if (l.sheet !== undefined) {
    const rows = describeLocation({ row_start: l.row_start, row_end: l.row_end });
    return { name: l.sheet, detail: rows ? ` ${rows}` : '' };
  }
  return { name: describeLocation(l) || part.title, detail: '' };
}

function PartsStrip({
  parts,
  filename,
  current,
  onChoose,
}: {
  parts: DocumentPart[];
  filename: string;
  current: number | undefined;
  onChoose: (index: number) => void;
}) {
  const strip = useRef<HTMLOListElement>(null);
  // Keep the current part in view, scrolling the strip only (never the page).
  useLayoutEffect(() => {
    const list = strip.current;
    const item = current === undefined ? null : list?.querySelector<HTMLElement>(`[data-part="${current}"]`);
    if (!list || !item) return;
    const r = item.getBoundingClientRect();
    const b = list.getBoundingClientRect();
    if (r.left < b.left || r.right > b.right) list.scrollLeft += r.left - b.left - 24;
  }, [current]);
  const heading = partsHeading(parts);
  return (
    <nav className="parts" aria-label={`${heading} of ${filename}`}>
      <h2 className="parts-head">
        {heading} <span className="muted">{formatNumber(parts.length)}</span>
      </h2>
      <ol className="parts-list" ref={strip}>
        {parts.map((part, i) => {
          const { name, detail } = partLabel(part);
          return (
            <li key={part.start_offset}>
              <button
                type="button"
                className={`part-item ${current === i ? 'part-current' : ''}`}
                aria-current={current === i ? 'location' : undefined}
                data-part={i}
                title={`${name}${detail}`}
                onClick={() => onChoose(i)}
              >
                <strong>{name}</strong>
                {detail ? <span className="part-detail">{detail}</span> : null}
              </button>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

function Viewer({ content, filename }: { content: DocumentContent; filename: string }) {
  const [params, setParams] = useSearchParams();
  const fromUrl = params.get('chunk');
  const requested = fromUrl === null ? undefined : Number(fromUrl);
  const initial = content.chunks.find((c) => c.index === requested);
  const [active, setActive] = useState<Chunk | undefined>(initial);
  const partFromUrl = params.get('part');
  const requestedPart =
    partFromUrl === null || initial ? undefined : content.parts[Number(partFromUrl)] ? Number(partFromUrl) : undefined;
  const [activePart, setActivePart] = useState<number | undefined>(requestedPart);
  const textPanel = useRef<HTMLElement>(null);
  const chunkPanel = useRef<HTMLElement>(null);
  const mark = useRef<HTMLElement>(null);
  const scrollTextTo = useRef(initial !== undefined || requestedPart !== undefined);

  // Follow ?chunk= when it changes from outside (another citation opened in this tab).
  // biome-ignore lint/correctness/useExhaustiveDependencies: only the URL drives this
  useEffect(() => {
    const next = content.chunks.find((c) => c.index === requested);
    if (next && next.index !== active?.index) {
      setActive(next);
      setActivePart(undefined);
      scrollTextTo.current = true;
    }
  }, [requested, content.chunks]);

  // Bring the highlighted span (and, when opened from a link, the chunk item) into view,
  // scrolling each panel itself — never the page.
  useLayoutEffect(() => {
    if ((!active && activePart === undefined) || !scrollTextTo.current) return;
    scrollTextTo.current = false;
    scrollWithin(textPanel.current, mark.current);
    if (!active) return;
    const item = chunkPanel.current?.querySelector<HTMLElement>(`[data-chunk="${active.index}"]`);
    const panel = chunkPanel.current;
    if (item && panel) {
      const r = item.getBoundingClientRect();
      const p = panel.getBoundingClientRect();
      if (r.top < p.top || r.bottom > p.bottom) scrollWithin(panel, item);
    }
  }, [active, activePart]);

  const choose = useCallback(
    (chunk: Chunk) => {
      scrollTextTo.current = true;
      setActive(chunk);
      setActivePart(undefined);
      const next = new URLSearchParams(params);
      next.set('chunk', String(chunk.index));
      next.delete('part');
      setParams(next, { replace: true });
    },
    [params, setParams],
  );
  const choosePart = useCallback(
    (index: number) => {
      scrollTextTo.current = true;
      setActive(undefined);
      setActivePart(index);
      const next = new URLSearchParams(params);
      next.set('part', String(index));
      next.delete('chunk');
      setParams(next, { replace: true });
    },
    [params, setParams],
  );

  const text = content.text;
  const part = activePart === undefined ? undefined : content.parts[activePart];
  const span = active
    ? { start: active.start_offset, end: active.end_offset }
    : part
      ? { start: part.start_offset, end: part.end_offset }
      : undefined;
  const start = span ? Math.max(0, Math.min(text.length, span.start)) : 0;
  const end = span ? Math.max(start, Math.min(text.length, span.end)) : 0;
  // The part the chosen chunk starts in (a cited chunk's slide, sheet or attachment).
  const currentPart =
    activePart ??
    (active
      ? (() => {
          const i = content.parts.findIndex(
            (p) => active.start_offset >= p.start_offset && active.start_offset < p.end_offset,
          );
          return i >= 0 ? i : undefined;
        })()
      : undefined);

  return (
    <>
      {requested !== undefined && !initial ? (
        <Banner tone="warning">
          Chunk {requested} is not part of this version of the document (it may have been reprocessed since it was
          cited).
        </Banner>
      ) : null}
      {/* One heading alone (a Markdown file's title) is no navigation; one sheet or page still says its rows or number. */}
      {content.parts.length > 1 || (content.parts.length === 1 && !content.parts[0]?.location.headings) ? (
        <PartsStrip parts={content.parts} filename={filename} current={currentPart} onChoose={choosePart} />
      ) : null}
      <SplitPane
        firstLabel="Document text"
        secondLabel="Chunks"
        storageKey="lumikb.viewer.split"
        firstRef={textPanel}
        secondRef={chunkPanel}
        first={
          <>
            <div className="split-panel-head">
              <h2>Text</h2>
              <span className="muted" data-testid="highlight-summary">
                {active
                  ? `Chunk ${active.index + 1}${active.location ? ` (${describeLocation(active.location)})` : ''} highlighted · characters ${formatNumber(active.start_offset)}–${formatNumber(active.end_offset)}`
                  : part
                    ? `${partLabel(part).name}${partLabel(part).detail} highlighted · characters ${formatNumber(part.start_offset)}–${formatNumber(part.end_offset)}`
                    : 'Choose a chunk to highlight it'}
              </span>
            </div>
            {text.length === 0 ? (
              <Empty title="No text was extracted from this document" />
            ) : (
              <pre className="doc-text" data-testid="document-text">
                {span ? (
                  <>
                    {text.slice(0, start)}
                    <mark ref={mark} className="chunk-mark" data-testid={active ? 'chunk-highlight' : 'part-highlight'}>
                      {text.slice(start, end)}
                    </mark>
                    {text.slice(end)}
                  </>
                ) : (
                  text
                )}
              </pre>
            )}
          </>
        }
        second={
          <>
            <div className="split-panel-head">
              <h2>Chunks</h2>
              <span className="muted">{formatNumber(content.chunks.length)}</span>
            </div>
            {content.chunks.length === 0 ? (
              <Empty title="No chunks" />
            ) : (
              <ol className="chunk-list" aria-label={`Chunks of ${filename}`}>
                {content.chunks.map((c) => (
                  <li key={c.index}>
                    <button
                      type="button"
                      className={`chunk-item ${active?.index === c.index ? 'chunk-active' : ''}`}
                      aria-pressed={active?.index === c.index}
                      data-chunk={c.index}
                      onClick={() => choose(c)}
                    >
                      <span className="chunk-meta">
                        <strong>Chunk {c.index + 1}</strong>
                        {c.location && describeLocation(c.location) ? (
                          <span className="chunk-location" data-testid="chunk-location">
                            {describeLocation(c.location)}
                          </span>
                        ) : null}
                        <span className="muted">
                          {formatNumber(c.start_offset)}–{formatNumber(c.end_offset)}
                        </span>
                      </span>
                      <span className="chunk-text">{c.text}</span>
                    </button>
                  </li>
                ))}
              </ol>
            )}
          </>
        }
      />
    </>
  );
}
