import { useEffect } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { ToastProvider } from '../components/Toast.tsx';
import { SignInPage } from '../pages/SignInPage.tsx';
import { NotFound, RequireLevel, RequireSignIn } from './guards.tsx';
import { ROUTES } from './routes.tsx';
import { Shell } from './Shell.tsx';
import { SessionProvider } from './session.tsx';

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
    <BrowserRouter>
      <SessionProvider>
        <ToastProvider>
          <DocumentTitle />
          <Routes>
            <Route path="/sign-in" element={<SignInPage />} />
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
                              {r.element}
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
  );
}
