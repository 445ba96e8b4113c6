/**
 * The frame around every signed-in page: top bar (brand, user, sign-out), the side
 * navigation built from ROUTES and the user's level, and the main area. Below 900 px the
 * navigation becomes a drawer opened from the top bar.
 */
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { NavLink, useLocation } from 'react-router';
import { Button } from '../components/Button.tsx';
import { openSignIn } from './guards.tsx';
import { MENUS, ROUTES } from './routes.tsx';
import { levelName, useSession, useUser } from './session.tsx';

export function Shell({ children }: { children: ReactNode }) {
  const user = useUser();
  const { signOut } = useSession();
  const location = useLocation();
  const [navOpen, setNavOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const mainRef = useRef<HTMLElement>(null);

  // A new page: close the drawer and move focus to the content for keyboard users.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation
  useEffect(() => {
    setNavOpen(false);
  }, [location.pathname]);

  useEffect(() => {
    if (!navOpen) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setNavOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navOpen]);

  const menus = MENUS.filter((m) => user.permission_level >= m.level).map((m) => ({
    ...m,
    items: ROUTES.filter((r) => r.menu === m.id && user.permission_level >= r.level),
  }));

  return (
    <div className={`shell ${navOpen ? 'nav-open' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="nav-toggle"
          aria-label={navOpen ? 'Close navigation' : 'Open navigation'}
          aria-expanded={navOpen}
          aria-controls="sidenav"
          onClick={() => setNavOpen((o) => !o)}
        >
          <span aria-hidden="true">☰</span>
        </button>
        <NavLink to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            L
          </span>
          <span className="brand-text">LumiKB</span>
        </NavLink>
        <div className="topbar-user">
          <NavLink to="/account" className="user-link" title={`Your account (${user.email})`}>
            {/* Named "Your account: <name>": the visible name stays part of the link's name (WCAG 2.5.3). */}
            <span className="sr-only">Your account: </span>
            <span className="user-avatar" aria-hidden="true">
              {(user.name || user.email).charAt(0).toUpperCase()}
            </span>
            <span className="user-name">{user.name || user.email}</span>
          </NavLink>
          {/* A name that is the level itself ("Administrator") needs no badge repeating it. */}
          {(user.name || '').trim().toLowerCase() !== levelName(user.permission_level).toLowerCase() ? (
            <span className="badge badge-info user-level" data-testid="user-level">
              {levelName(user.permission_level)}
            </span>
          ) : null}
          <Button
            size="sm"
            variant="ghost"
            loading={signingOut}
            onClick={async () => {
              setSigningOut(true);
              await signOut();
              // Before the guard re-renders (it would add ?next= for this page).
              openSignIn();
            }}
          >
            Sign out
          </Button>
        </div>
      </header>
      <nav id="sidenav" className="sidenav" aria-label="Main navigation">
        {menus.map((menu) => (
          <div key={menu.id} className="nav-group" data-menu={menu.id}>
            <h2 className="nav-heading">{menu.label}</h2>
            <ul>
              {menu.items.map((item) => (
                <li key={item.path}>
                  <NavLink to={item.path} end={!item.matchPrefix} className="nav-link">
                    {item.label ?? item.title}
                  </NavLink>
                </li>
              ))}
            </ul>
          </div>
        ))}
        {user.permission_level < 1 ? (
          <p className="nav-empty">Your account is in no group yet; ask an administrator for access.</p>
        ) : null}
      </nav>
      <button
        type="button"
        className="nav-scrim"
        aria-label="Close navigation"
        tabIndex={-1}
        onClick={() => setNavOpen(false)}
      />
      <main id="main" className="main" ref={mainRef} tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
