/**
 * Test-process preload (`.taprc` node-arg, after `--import=tsx`): loads the two
 * dependencies that ship as hundreds of small ES modules — typebox (~680 files) and
 * kysely (~260) — from one pre-bundled copy each instead.
 *
 * Why: in Node 20, `--import=tsx` runs its module hooks on a separate thread, and every
 * ES module a process imports costs a round trip to it (~1.5 ms of CPU, measured with
 * no-op hooks as much as with tsx's). Those two packages were ~950 of the ~1,250 modules
 * a service test file imports, about 1.5 s of CPU in each of the ~90 test processes.
 * Their bundles (esbuild, code splitting across every export entry, so `typebox` and
 * `typebox/compile` still share one copy of each internal module) are built once per
 * package version into node_modules/.cache and reused by every later process.
 *
 * The code is the package's own, unchanged; only how many files it arrives in differs.
 * Plain .mjs because it runs before any TypeScript support is in place for it.
 */
import { register } from 'node:module';
import { vendorRedirects } from './vendor-bundles.mjs';

const redirects = vendorRedirects();
if (Object.keys(redirects).length > 0) {
  register('./hooks.mjs', import.meta.url, { data: { redirects } });
}
