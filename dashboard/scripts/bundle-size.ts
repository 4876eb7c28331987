// `npm run size`: the built JavaScript, gzipped, against the 300 KB budget (run after a build).
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 300;
const assets = new URL('../dist/assets/', import.meta.url);
const files = readdirSync(assets).filter((f) => f.endsWith('.js'));
if (files.length === 0) throw new Error('no dist/assets/*.js: run `npm run build` first');
let total = 0;
for (const file of files) total += gzipSync(readFileSync(new URL(file, assets)), { level: 9 }).length;
const kb = total / 1024;
console.log(`dashboard JavaScript: ${kb.toFixed(1)} KB gzipped in ${files.length} files (budget ${BUDGET_KB} KB)`);
if (kb > BUDGET_KB) {
  console.error(`over budget by ${(kb - BUDGET_KB).toFixed(1)} KB`);
  process.exit(1);
}
