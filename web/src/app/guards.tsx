/** Route guards: sign-in required for the app; a clear page for routes above one's level. */
import { type ReactNode, useEffect } from 'react';
import { Link, useLocation } from 'react-router';
import { Button } from '../components/Button.tsx';
import { Loading } from '../components/States.tsx';
import { levelName, useSession } from './session.tsx';

let leaving = false;
/**
 * Leaves the app for the sign-in page, a document of its own (sign-in.html, no React).
 * The first call wins (sign-out and the guard may both ask); the URL changes only when
 * that page has loaded.
 */
export function openSignIn(search = ''): void {
  if (leaving) return;
  leaving = true;
  window.location.replace(`/sign-in${search}`);
}

export function OpenSignIn({ search = '' }: { search?: string }) {
  useEffect(() => openSignIn(search), [search]);
  return <Loading label="Opening the sign-in page…" />;
}

export function RequireSignIn({ children }: { children: ReactNode }) {
  const { state, reload } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <Loading label="Checking your session…" />;
  if (state.status === 'error') {
    return (
      <main className="center-page">
        <div className="card narrow">
          <h1>LumiKB is not reachable</h1>
          <p>{state.error.message}</p>
          <Button variant="primary" onClick={() => void reload()}>
            Try again
          </Button>
        </div>
      </main>
    );
  }
  if (state.status === 'anonymous') {
    const next = `${location.pathname}${location.search}`;
    const params = new URLSearchParams();
    if (next !== '/') params.set('next', next);
    if (state.expired) params.set('expired', '1');
    const query = params.toString();
    return <OpenSignIn search={query ? `?${query}` : ''} />;
  }
  return <>{children}</>;
}

export function RequireLevel({ level, title, children }: { level: number; title: string; children: ReactNode }) {
  const { user } = useSession();
  if (!user || user.permission_level < level) {
    return <NotPermitted needed={level} have={user?.permission_level ?? 0} title={title} />;
  }
  return <>{children}</>;
}

export function NotPermitted({ needed, have, title }: { needed: number; have: number; title: string }) {
  return (
    <section className="center-block" data-testid="not-permitted">
      <div className="card narrow">
        <p className="eyebrow">403 · Not permitted</p>
        <h1>You do not have access to {title}</h1>
        <p>
          This page needs the <strong>{levelName(needed)}</strong> level; your groups give you{' '}
          <strong>{levelName(have)}</strong>. Ask an administrator to add you to a group with a higher level if you need
          it.
        </p>
        <Link className="btn btn-primary" to="/">
          Go to your workspace
        </Link>
      </div>
    </section>
  );
}

export function NotFound() {
  return (
    <section className="center-block">
      <div className="card narrow">
        <p className="eyebrow">404 · Not found</p>
        <h1>There is no page here</h1>
        <p>The link may be old or mistyped.</p>
        <Link className="btn btn-primary" to="/">
          Go to your workspace
        </Link>
      </div>
    </section>
  );
}
