/**
 * `pnpm build`: one esbuild bundle per service (services/<name>/dist/server.js) with
 * the workspace packages inlined and third-party packages left as imports, so an image
 * ships the bundle plus the service's production node_modules. Also builds the web app
 * when the workspace has one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { SERVICES } from './lib/services.ts';
import { ROOT } from './lib/stack.ts';

/** Inline our own packages; leave every other bare import to node_modules. */
const externalThirdParty: Plugin = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@lumikb/') || args.kind === 'entry-point') return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * Entry points a service starts as child processes, bundled beside its server.js (the
 * ingestion worker parses untrusted files in sandbox processes: packages/ingest/src/sandbox.ts).
 */
const CHILD_ENTRIES: Record<string, Record<string, string>> = {
  'ingestion-worker': { 'parse-worker': join(ROOT, 'packages', 'ingest', 'src', 'parse-worker.ts') },
};

const only = process.argv.slice(2);
for (const service of SERVICES) {
  if (only.length > 0 && !only.includes(service.name)) continue;
  const dir = join(ROOT, 'services', service.name);
  const started = performance.now();
  await build({
    entryPoints: { server: join(dir, 'src', 'server.ts'), ...CHILD_ENTRIES[service.name] },
    outdir: join(dir, 'dist'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    plugins: [externalThirdParty],
    // Bundled CommonJS helpers may call require(); give ESM output one.
    banner: {
      js: "import { createRequire as __lumikbRequire } from 'node:module'; const require = __lumikbRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  process.stdout.write(
    `built services/${service.name}/dist/server.js in ${Math.round(performance.now() - started)} ms\n`,
  );
}

if (only.length === 0 && existsSync(join(ROOT, 'web', 'package.json'))) {
  const web = spawnSync('pnpm', ['--dir', 'web', 'run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (web.status !== 0) process.exit(web.status ?? 1);
}
