/**
 * The sign-in page, in plain DOM code: it is the first page most visitors load, and
 * React alone weighs more than its budget (60 KB of gzip JavaScript). It keeps the
 * app's markup and styles (the same classes as TextField, Button and ErrorBanner) and
 * its behaviour: `?next=` is followed after sign-in (same-app paths only), `?expired=1`
 * says why one is here, and a visitor who is already signed in goes straight on.
 */
import '../styles/app.css';

/** Only same-app paths are followed after sign-in (no open redirect). */
export function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/';
}

interface ErrorBody {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}

function problemsOf(details: unknown): string[] {
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

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function banner(
  tone: 'warning' | 'error',
  title: string | undefined,
  message: string,
  meta?: string,
  problems: string[] = [],
) {
  const box = el('div', `banner banner-${tone}`);
  box.setAttribute('role', 'alert');
  const body = el('div', 'banner-body');
  if (title) body.append(el('strong', 'banner-title', title));
  body.append(el('span', 'banner-message', message));
  if (problems.length > 0) {
    const list = el('ul', 'banner-problems');
    for (const p of problems) list.append(el('li', '', p));
    body.append(list);
  }
  if (meta) {
    const line = el('span', 'banner-meta');
    line.append(el('code', '', meta));
    body.append(line);
  }
  box.append(body);
  return box;
}

function start(): void {
  const params = new URLSearchParams(window.location.search);
  const next = safeNext(params.get('next'));
  const form = document.getElementById('signin-form') as HTMLFormElement;
  const email = document.getElementById('signin-email') as HTMLInputElement;
  const password = document.getElementById('signin-password') as HTMLInputElement;
  const submit = form.querySelector('button[type="submit"]') as HTMLButtonElement;
  const notices = document.getElementById('signin-notices') as HTMLElement;
  const expired = params.get('expired')
    ? banner('warning', undefined, 'Your session ended. Sign in again to continue.')
    : undefined;
  const show = (error?: HTMLElement) => notices.replaceChildren(...[expired, error].filter((n) => n !== undefined));
  show();
  email.focus();

  // Already signed in (a bookmark, the back button): straight on.
  void fetch('/api/v1/auth/me', { credentials: 'same-origin' })
    .then((res) => {
      if (res.ok) window.location.replace(next);
    })
    .catch(() => {});

  const sync = () => {
    submit.disabled = !email.value || !password.value || submit.getAttribute('aria-busy') === 'true';
  };
  email.addEventListener('input', sync);
  password.addEventListener('input', sync);
  sync();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!email.value || !password.value) return;
    submit.setAttribute('aria-busy', 'true');
    submit.prepend(el('span', 'spinner spinner-sm'));
    sync();
    show();
    try {
      const res = await fetch('/api/v1/auth/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: email.value.trim(), password: password.value }),
      });
      if (res.ok) {
        window.location.replace(next);
        return;
      }
      const body = (await res.json().catch(() => ({}))) as ErrorBody;
      const message =
        typeof body.message === 'string' && body.message
          ? body.message
          : res.status >= 500
            ? 'The server could not complete the request. Try again shortly.'
            : `The request failed (${res.status} ${res.statusText})`;
      const code = typeof body.code === 'string' ? body.code : `HTTP_${res.status}`;
      show(banner('error', 'Sign-in failed', message, code, problemsOf(body.details)));
    } catch {
      show(
        banner(
          'error',
          'Sign-in failed',
          'Cannot reach the server. Check your connection and try again.',
          'NETWORK_ERROR',
        ),
      );
    }
    submit.removeAttribute('aria-busy');
    submit.querySelector('.spinner')?.remove();
    sync();
  });
}

start();
