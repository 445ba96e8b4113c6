/** Loading, empty and error states: every page shows one of them until it has data. */
import type { ReactNode } from 'react';
import type { ApiError } from '../api/client.ts';
import type { Query } from '../api/hooks.ts';
import { Button } from './Button.tsx';

export function Spinner({ size = 'md', label }: { size?: 'sm' | 'md'; label?: string }) {
  if (!label) return <span className={`spinner spinner-${size}`} aria-hidden="true" />;
  return (
    <span role="status">
      <span className={`spinner spinner-${size}`} aria-hidden="true" />
      <span className="sr-only">{label}</span>
    </span>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <Spinner />
      <span>{label}</span>
    </div>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children ? <div className="state-text">{children}</div> : null}
      {action ? <div className="state-action">{action}</div> : null}
    </div>
  );
}

/**
 * Field-level problems in an error's details, as "field: message" lines. Understands the
 * kit's validation errors (`[{path, message}]`) and domain ones (`{problems: [{field, message}]}`).
 */
export function problemsOf(details: unknown): string[] {
  const list = Array.isArray(details)
    ? details
    : Array.isArray((details as { problems?: unknown } | undefined)?.problems)
      ? (details as { problems: unknown[] }).problems
      : [];
  return list.flatMap((p) => {
    const item = p as { path?: string; field?: string; message?: string };
    if (!item?.message) return [];
    const where = (item.field ?? item.path ?? '').replace(/^\//, '').replace(/\//g, '.');
    return [where ? `${where}: ${item.message}` : item.message];
  });
}

/** The server's message, its code, and the request id to quote to an operator. */
export function ErrorBanner({ error, title, onDismiss }: { error: ApiError; title?: string; onDismiss?: () => void }) {
  return (
    <div className="banner banner-error" role="alert">
      <div className="banner-body">
        {title ? <strong className="banner-title">{title}</strong> : null}
        <span className="banner-message">{error.message}</span>
        {problemsOf(error.details).length > 0 ? (
          <ul className="banner-problems">
            {problemsOf(error.details).map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        ) : null}
        <span className="banner-meta">
          <code>{error.code}</code>
          {error.requestId ? <span> · request {error.requestId}</span> : null}
        </span>
      </div>
      {onDismiss ? (
        <button type="button" className="banner-close" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      ) : null}
    </div>
  );
}

export function Banner({ tone = 'info', children }: { tone?: 'info' | 'warning' | 'success'; children: ReactNode }) {
  return (
    <div className={`banner banner-${tone}`} role={tone === 'warning' ? 'alert' : 'status'}>
      <div className="banner-body">{children}</div>
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  return (
    <div className="state state-error">
      <ErrorBanner error={error} title="Could not load this" />
      {onRetry ? (
        <Button onClick={onRetry} size="sm">
          Try again
        </Button>
      ) : null}
    </div>
  );
}

/**
 * Renders a query: spinner first, the error with a retry, the empty state when
 * `isEmpty(data)`, else `children(data)`.
 */
export function QueryView<T>({
  query,
  children,
  isEmpty,
  empty,
  loadingLabel,
}: {
  query: Query<T>;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
}) {
  if (query.loading && query.data === undefined) return <Loading label={loadingLabel} />;
  if (query.error && query.data === undefined) return <ErrorState error={query.error} onRetry={query.reload} />;
  if (query.data === undefined) return <Loading label={loadingLabel} />;
  if (isEmpty?.(query.data)) return <>{empty ?? <Empty title="Nothing here yet" />}</>;
  return (
    <>
      {query.error ? <ErrorBanner error={query.error} title="Refresh failed; showing earlier data" /> : null}
      {children(query.data)}
    </>
  );
}
