// The frame of the sign-up and sign-in pages.
import { Outlet } from 'react-router';

import { Brand } from './AppShell';

export function AuthLayout() {
  return (
    <div className="auth">
      <aside className="auth-aside" aria-label="About AI Ratelimit">
        <Brand />
        <div>
          <h2>Fair usage limits for every user of your AI app.</h2>
          <ul>
            <li>Per-user request and token limits, by plan tier</li>
            <li>Friendly upgrade prompts instead of surprise bills</li>
            <li>Prompts and completions are never stored</li>
          </ul>
        </div>
        <p style={{ fontSize: 'var(--text-sm)', color: '#a5b4fc' }}>Drop-in for the OpenAI SDK · works with Anthropic</p>
      </aside>
      <main className="auth-main" id="main">
        <div className="auth-card">
          <Outlet />
        </div>
      </main>
    </div>
  );
}
