// Vitest global setup of the browser tests: screenshots of an earlier run go first.
import { rmSync } from 'node:fs';

export default function setup() {
  rmSync(new URL('../../test-results/screenshots/', import.meta.url), { recursive: true, force: true });
}
