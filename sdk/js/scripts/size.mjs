// Fails when the ESM build, minified and gzipped as an app's bundler would ship it, reaches
// the budget of 5 KB, or when the figure the README states (**N.N KB**) is no longer true.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const BUDGET = 5 * 1024;
const result = await build({
  entryPoints: [new URL('../dist/index.js', import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  write: false,
});
const minified = result.outputFiles[0].contents;
const gzipped = gzipSync(minified, { level: 9 }).length;
console.log(`@ai-ratelimit/sdk (ESM): ${minified.length} B minified, ${gzipped} B minified+gzipped (budget ${BUDGET} B)`);
if (gzipped >= BUDGET) {
  console.error(`size: over the budget by ${gzipped - BUDGET + 1} B`);
  process.exit(1);
}
const stated = /\*\*(\d+\.\d) KB\*\*/.exec(readFileSync(new URL('../README.md', import.meta.url), 'utf8'))?.[1];
const actual = (gzipped / 1024).toFixed(1);
if (stated !== actual) {
  console.error(`size: README.md states **${stated} KB**, the build is ${actual} KB: update the README`);
  process.exit(1);
}
