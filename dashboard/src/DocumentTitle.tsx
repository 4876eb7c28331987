// The tab's title follows the route ("Rules · AI Ratelimit"), and focus moves to the new
// page's content after a navigation, so screen readers hear where they are.
import { useEffect, useState } from 'react';

import { router } from './App';

function titleOf(state: typeof router.state): string {
  const match = [...state.matches].reverse().find((m) => (m.route.handle as { title?: string } | undefined)?.title);
  const title = (match?.route.handle as { title?: string } | undefined)?.title;
  return title ? `${title} · AI Ratelimit` : 'AI Ratelimit';
}

export function DocumentTitle() {
  const [state, setState] = useState(router.state);
  useEffect(() => router.subscribe(setState), []);
  const title = titleOf(state);
  const path = state.location.pathname;
  useEffect(() => {
    document.title = title;
  }, [title]);
  useEffect(() => {
    const main = document.getElementById('main');
    // Only when the focused control went away with the old page (tabs keep their focus).
    const focused = document.activeElement;
    const lost = !focused || focused === document.body || !document.body.contains(focused);
    if (main && lost) main.focus({ preventScroll: true });
  }, [path]);
  return null;
}
