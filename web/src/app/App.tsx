import { QueryClientProvider } from '@tanstack/react-query';
import { Suspense, useEffect } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { createQueryClient } from '../api/hooks.ts';
import { Loading } from '../components/States.tsx';
import { ToastProvider } from '../components/Toast.tsx';
import { NotFound, OpenSignIn, RequireLevel, RequireSignIn } from './guards.tsx';
import { ROUTES } from './routes.tsx';
import { Shell } from './Shell.tsx';
import { SessionProvider } from './session.tsx';

/** The path this document was loaded at (before any client-side navigation). */
const LOADED_AT = window.location.pathname;

/** The one data cache of this document (api/hooks.ts); signing out loads another document. */
const queryClient = createQueryClient();

/**
 * The sign-in page is its own small document (sign-in.html, no React): reaching
 * /sign-in from inside the app loads it. Were this document itself served at /sign-in
 * (a gateway without that page), loading it again would loop, so it offers a link.
 */
function SignInDocument() {
  const location = useLocation();
  if (LOADED_AT !== '/sign-in') return <OpenSignIn search={location.search} />;
  return (
    <main className="center-page">
      <a href={`/sign-in${location.search}`}>Sign in</a>
    </main>
  );
}

function DocumentTitle() {
  const location = useLocation();
  useEffect(() => {
    const route = ROUTES.find((r) => r.path === location.pathname);
    document.title = route ? `${route.title} · LumiKB` : 'LumiKB';
  }, [location.pathname]);
  return null;
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SessionProvider>
          <ToastProvider>
            <DocumentTitle />
            <Routes>
              <Route path="/sign-in" element={<SignInDocument />} />
              <Route
                path="*"
                element={
                  <RequireSignIn>
                    <Shell>
                      <Routes>
                        <Route path="/" element={<Navigate to="/kbs" replace />} />
                        {ROUTES.map((r) => (
                          <Route
                            key={r.path}
                            path={r.path}
                            element={
                              <RequireLevel level={r.level} title={r.title}>
                                {/* Pages are loaded on first use (routes.tsx); the menu stays meanwhile. */}
                                <Suspense fallback={<Loading label="Loading the page…" />}>{r.element}</Suspense>
                              </RequireLevel>
                            }
                          />
                        ))}
                        <Route path="*" element={<NotFound />} />
                      </Routes>
                    </Shell>
                  </RequireSignIn>
                }
              />
            </Routes>
          </ToastProvider>
        </SessionProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
