// "Use it": snippets filled in with this server's address and the project's key.
import { type KeyboardEvent, useState } from 'react';

import type { Project } from '../api/types';
import { Card } from '../components/Card';
import { CopyButton } from '../components/CopyButton';
import { SNIPPETS } from './snippets';

export function UsePanel({ project }: { project: Project }) {
  const [selected, setSelected] = useState(0);
  const api = `${window.location.origin}/api`;
  const snippet = SNIPPETS[selected] ?? SNIPPETS[0];
  if (!snippet) return null;
  const code = snippet.code(api, project.projectKey);

  // Arrow keys move between tabs (the WAI-ARIA tabs pattern).
  const onKeyDown = (event: KeyboardEvent) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = (selected + step + SNIPPETS.length) % SNIPPETS.length;
    setSelected(next);
    document.getElementById(`snippet-tab-${SNIPPETS[next]?.id}`)?.focus();
  };

  return (
    <Card id="use-it" title="Use it" description="Send your users' requests through the proxy. Each identity gets its own limits.">
      <div className="stack">
        <div className="tabs" role="tablist" aria-label="Code examples">
          {SNIPPETS.map((s, i) => (
            <button
              key={s.id}
              id={`snippet-tab-${s.id}`}
              type="button"
              role="tab"
              className="tab"
              aria-selected={i === selected}
              aria-controls="snippet-panel"
              tabIndex={i === selected ? 0 : -1}
              onClick={() => setSelected(i)}
              onKeyDown={onKeyDown}
            >
              {s.label}
            </button>
          ))}
        </div>
        <div id="snippet-panel" role="tabpanel" aria-labelledby={`snippet-tab-${snippet.id}`} style={{ position: 'relative' }}>
          {/* Focusable so keyboard users can scroll long lines. */}
          {/* eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex */}
          <pre className="code-block" tabIndex={0} data-testid={`snippet-${snippet.id}`}>
            <code>{code}</code>
          </pre>
          <div className="code-block-copy">
            <CopyButton text={code} what={`${snippet.label} example`} variant="secondary" />
          </div>
        </div>
        <p className="muted" style={{ fontSize: 'var(--text-sm)' }}>
          Over a limit, calls answer <code className="code-inline">429</code> with your limit-exceeded response and a{' '}
          <code className="code-inline">Retry-After</code> header. Every answer carries <code className="code-inline">x-ratelimit-*</code>{' '}
          headers with what is left.
        </p>
      </div>
    </Card>
  );
}
