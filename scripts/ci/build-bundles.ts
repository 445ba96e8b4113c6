/**
 * `.ci/run` builds the service bundles the browser suite starts from while the unit tests
 * run, so the suite's set-up finds them fresh instead of building them on the critical
 * path. ensureBundles builds into a staging folder and swaps it in, so a test that starts
 * the stack at the same moment never sees half a bundle.
 */
import { join } from 'node:path';
import { ensureBundles } from '../lib/bundles.ts';
import { SERVICES } from '../lib/services.ts';
import { ROOT } from '../lib/stack.ts';

const results = await ensureBundles(
  ROOT,
  SERVICES.map((s) => join(ROOT, 'services', s.name)),
);
for (const [i, bundle] of results.entries()) {
  process.stdout.write(
    `${SERVICES[i]!.name}: ${bundle.built ? `bundled in ${Math.round(bundle.ms)} ms` : 'bundle up to date'}\n`,
  );
}
