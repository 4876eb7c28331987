// Fails when the ESM build, minified and gzipped as an app's bundler would ship it, reaches
// the budget of 5 KB. Prints the figure the README states.
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
