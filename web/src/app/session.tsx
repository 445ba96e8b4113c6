/**
 * The signed-in user. Loaded once from GET /api/v1/auth/me (the cookie is the session);
 * sign-in and sign-out go through the auth service, which sets and clears the cookies.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import {
  type ApiError,
  api,
  call,
  onSessionExpired,
  type ResponseOf,
  refreshSession,
  toApiError,
} from '../api/client.ts';

export type CurrentUser = ResponseOf<'/api/v1/auth/me', 'get'>;

/** Permission levels (7-11): what a user's groups grant at most. */
export const LEVEL = { signedIn: 0, user: 1, operator: 2, admin: 3 } as const;
export type Level = (typeof LEVEL)[keyof typeof LEVEL];

export function levelName(level: number): string {
  return level >= 3 ? 'Administrator' : level === 2 ? 'Operator' : level === 1 ? 'User' : 'No access';
}

type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous'; expired: boolean }
  | { status: 'error'; error: ApiError }
  | { status: 'signed-in'; user: CurrentUser };

interface SessionApi {
  state: SessionState;
  /** The signed-in user; only use below a guard that ensured there is one. */
  user: CurrentUser | undefined;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  /** Re-read /me (after changing one's own groups, for example). */
  reload(): Promise<void>;
}

const SessionContext = createContext<SessionApi | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const reload = useCallback(async () => {
    try {
      const res = await api.GET('/api/v1/auth/me');
      if (res.response.status === 401) {
        setState({ status: 'anonymous', expired: false });
        return;
      }
      const user = await call(Promise.resolve(res));
      setState({ status: 'signed-in', user });
    } catch (error) {
      setState({ status: 'error', error: toApiError(error) });
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(
    () =>
      onSessionExpired(() => {
        setState((s) => (s.status === 'signed-in' ? { status: 'anonymous', expired: true } : s));
      }),
    [],
  );

  const signIn = useCallback(async (email: string, password: string) => {
    const session = await call(api.POST('/api/v1/auth/login', { body: { email, password } }));
    setState({ status: 'signed-in', user: session.user });
  }, []);

  const signOut = useCallback(async () => {
    try {
      // Logout needs a valid access token: with an expired one, renew it first (the shared
      // single refresh), or the refresh cookie would survive and resume the session.
      const first = await api.POST('/api/v1/auth/logout', { body: {} });
      if (first.response.status === 401 && (await refreshSession())) {
        await api.POST('/api/v1/auth/logout', { body: {} });
      }
    } catch {
      // The server is unreachable; the user still leaves the app.
    }
    setState({ status: 'anonymous', expired: false });
  }, []);

  const value = useMemo<SessionApi>(
    () => ({ state, user: state.status === 'signed-in' ? state.user : undefined, signIn, signOut, reload }),
    [state, signIn, signOut, reload],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in user (pages under the app shell always have one). */
export function useUser(): CurrentUser {
  const { user } = useSession();
  if (!user) throw new Error('useUser without a signed-in user');
  return user;
}
