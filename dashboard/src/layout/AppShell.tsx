// The signed-in frame: sidebar navigation (a drawer on phones), the organization and user,
// and the page.
import { useEffect, useRef, useState } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';

import { useProjects } from '../api/queries';
import { queryClient } from '../api/queries';
import { clearSession, useSession } from '../auth/session';
import { Button } from '../components/Button';
import { GridIcon, LogoMark, LogoutIcon, MenuIcon, UserIcon } from '../components/Icons';

export function Brand() {
  return (
    <Link to="/projects" className="brand">
      <span className="brand-mark">
        <LogoMark />
      </span>
      AI Ratelimit
    </Link>
  );
}

/** Ends the session; the signed-in routes then send the browser to the sign-in page. */
export function signOut() {
  clearSession('signed_out');
  queryClient.clear();
}

function ProjectLinks() {
  const projects = useProjects();
  if (!projects.data?.length) return null;
  return (
    <>
      <p className="nav-heading" id="nav-projects">
        Your projects
      </p>
      <ul className="nav" aria-labelledby="nav-projects" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
        {projects.data.slice(0, 8).map((p) => (
          <li key={p.id}>
            <NavLink to={`/projects/${p.id}`} className="nav-link">
              <span className="nav-dot" aria-hidden="true" />
              {p.name}
            </NavLink>
          </li>
        ))}
      </ul>
    </>
  );
}

export function AppShell() {
  const session = useSession();
  const location = useLocation();
  // The phone menu is open on the page where it was opened: a navigation closes it.
  const [menuPath, setMenuPath] = useState<string | null>(null);
  const menuOpen = menuPath === location.pathname;
  const setMenuOpen = (open: boolean) => setMenuPath(open ? location.pathname : null);
  const menuButton = useRef<HTMLButtonElement>(null);
  const sidebar = useRef<HTMLElement>(null);
  // An open menu takes the focus and gives it back on Escape.
  useEffect(() => {
    if (!menuOpen) return;
    sidebar.current?.querySelector<HTMLElement>('a, button')?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setMenuPath(null);
      menuButton.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  return (
    <div className="shell" data-menu={menuOpen ? 'open' : 'closed'}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <aside className="sidebar" aria-label="Sidebar" ref={sidebar}>
        <Brand />
        <nav aria-label="Main" className="stack" style={{ gap: 'var(--space-1)' }}>
          <NavLink to="/projects" end className="nav-link">
            <GridIcon /> Projects
          </NavLink>
          <NavLink to="/account" className="nav-link">
            <UserIcon /> Account
          </NavLink>
          <ProjectLinks />
        </nav>
        <div className="sidebar-footer">
          <strong>{session?.user.organizationName}</strong>
          <span>{session?.user.email}</span>
          <Button
            variant="ghost"
            size="sm"
            className="btn-block"
            style={{ marginTop: 10, justifyContent: 'flex-start', color: 'var(--sidebar-text)' }}
            onClick={signOut}
          >
            <LogoutIcon /> Sign out
          </Button>
        </div>
      </aside>
      {menuOpen && <button type="button" className="scrim" aria-label="Close menu" onClick={() => setMenuOpen(false)} />}
      <div className="main">
        <header className="topbar">
          <Button ref={menuButton} variant="ghost" className="btn-icon" aria-label="Open menu" aria-expanded={menuOpen} onClick={() => setMenuOpen(true)}>
            <MenuIcon />
          </Button>
          <Brand />
        </header>
        <main id="main" className="content" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}
