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
import { bundleConfigOf } from './lib/bundles.ts';
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

const only = process.argv.slice(2);
for (const service of SERVICES) {
  if (only.length > 0 && !only.includes(service.name)) continue;
  const dir = join(ROOT, 'services', service.name);
  const started = performance.now();
  await build({
    // server.ts plus the entry points a service starts as child processes, declared in its
    // package.json (`lumikb.entryPoints`; the worker's parse sandbox: packages/ingest/src/sandbox.ts).
    entryPoints: bundleConfigOf(dir).entries,
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
