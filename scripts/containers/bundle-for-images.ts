/**
 * Image build step (deploy/Dockerfile, `build` stage): the same esbuild bundles `pnpm start`
 * runs (services/<name>/.bundle/, see scripts/lib/bundles.ts) for every service, built in
 * one esbuild run whose layer the six image builds share. Our packages and nearly every
 * third-party package are inlined; the few kept external (KEEP_EXTERNAL) are imports at
 * absolute paths under this checkout's node_modules/.pnpm — `assemble-image.mjs` copies
 * exactly those (with their dependencies) into the image, at the same paths.
 */
import { join } from 'node:path';
import { ensureBundles } from '../lib/bundles.ts';
import { SERVICES } from '../lib/services.ts';
import { ROOT } from '../lib/stack.ts';

const results = await ensureBundles(
  ROOT,
  SERVICES.map((s) => join(ROOT, 'services', s.name)),
);
for (const r of results)
  process.stdout.write(`${r.entry}${r.built ? ` built in ${Math.round(r.ms)} ms` : ' (cached)'}\n`);
