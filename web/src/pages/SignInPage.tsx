import { type FormEvent, useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { type ApiError, toApiError } from '../api/client.ts';
import { useSession } from '../app/session.tsx';
import { Button } from '../components/Button.tsx';
import { TextField } from '../components/Field.tsx';
import { Banner, ErrorBanner } from '../components/States.tsx';

/** Only same-app paths are followed after sign-in (no open redirect). */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignInPage() {
  const { state, signIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | undefined>();
  const [pending, setPending] = useState(false);
  const next = safeNext(params.get('next'));

  if (state.status === 'signed-in') return <Navigate to={next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(undefined);
    try {
      await signIn(email.trim(), password);
      navigate(next, { replace: true });
    } catch (err) {
      setError(toApiError(err));
      setPending(false);
    }
  };

  return (
    <main className="signin">
      <div className="signin-card card">
        <div className="signin-brand">
          <span className="brand-mark" aria-hidden="true">
            L
          </span>
          <span>LumiKB</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">Your knowledge bases, search and chat.</p>
        {params.get('expired') ? <Banner tone="warning">Your session ended. Sign in again to continue.</Banner> : null}
        {error ? <ErrorBanner error={error} title="Sign-in failed" /> : null}
        <form onSubmit={submit} className="form" noValidate>
          <TextField
            label="Email"
            type="email"
            autoComplete="username"
            value={email}
            onChange={setEmail}
            required
            autoFocus
          />
          <TextField
            label="Password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={setPassword}
            required
          />
          <Button
            type="submit"
            variant="primary"
            loading={pending}
            disabled={!email || !password}
            className="btn-block"
          >
            Sign in
          </Button>
        </form>
      </div>
    </main>
  );
}
