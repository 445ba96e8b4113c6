/**
 * The bundles `pnpm start` runs: one esbuild bundle per service in services/<name>/.bundle/,
 * rebuilt only when a file it was built from changed. Starting `node .bundle/server.js`
 * costs a fraction of compiling hundreds of TypeScript files with tsx in every service.
 *
 * Our workspace packages are inlined; every third-party import stays an import, resolved
 * at build time to its absolute path in node_modules, so a service finds the packages of
 * the workspace packages it inlines whether or not it declares them itself. (That makes a
 * `.bundle` machine-local: images use `pnpm build`, which keeps bare imports.)
 *
 * A service that starts a second file at run time (a worker thread, a child process)
 * declares it in its package.json, `"lumikb": { "entryPoints": { "<name>": "<path>" } }`
 * (path relative to the service's folder); it is bundled beside server.js as `<name>.js`.
 * See docs/operations.md#bundles.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build, version as esbuildVersion, type Plugin } from 'esbuild';

/** Bumped when the options below change, so older bundles are rebuilt. */
const FORMAT = 1;
const MANIFEST = 'inputs.json';

export interface BundleResult {
  /** The bundle's entry, services/<name>/.bundle/server.js. */
  entry: string;
  built: boolean;
  ms: number;
}

interface Manifest {
  hash: string;
  /** Every file esbuild read, relative to the repository root. */
  inputs: string[];
}

/** The service's entries: server.js from package.json `main` or src/server.ts, plus declared extras. */
export function entryPointsOf(serviceDir: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(serviceDir, 'package.json'), 'utf8')) as {
    main?: string;
    lumikb?: { entryPoints?: Record<string, string> };
  };
  const main = pkg.main && /\.[mc]?ts$/.test(pkg.main) ? pkg.main : 'src/server.ts';
  const entries: Record<string, string> = { server: resolve(serviceDir, main) };
  for (const [name, path] of Object.entries(pkg.lumikb?.entryPoints ?? {})) {
    if (!/^[\w.-]+$/.test(name) || name === 'server') {
      throw new Error(`${serviceDir}/package.json: lumikb.entryPoints name "${name}" is not a plain file name`);
    }
    entries[name] = resolve(serviceDir, path);
  }
  return entries;
}

/** Reuses services/<name>/.bundle when every input is unchanged; builds it otherwise. */
export async function ensureBundle(root: string, serviceDir: string): Promise<BundleResult> {
  const started = performance.now();
  const out = join(serviceDir, '.bundle');
  const entries = entryPointsOf(serviceDir);
  const current = readManifest(out);
  if (current && existsSync(join(out, 'server.js')) && hashOf(root, current.inputs, entries) === current.hash) {
    return { entry: join(out, 'server.js'), built: false, ms: performance.now() - started };
  }

  // Built beside the final folder (one level below the service, as the sources' src/ is,
  // so paths relative to import.meta.url hold), then swapped in: a concurrent start never
  // runs a half-written bundle.
  const staging = `${out}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const result = await build({
      entryPoints: entries,
      outdir: staging,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: 'linked',
      // As Node resolves: no bundler-only `module` condition or main field.
      conditions: [],
      mainFields: ['main'],
      metafile: true,
      plugins: [thirdPartyByAbsolutePath],
      banner: {
        js: "import { createRequire as __lumikbRequire } from 'node:module'; const require = __lumikbRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs)
      .map((p) => relative(root, resolve(p)))
      .sort();
    const manifest: Manifest = { hash: hashOf(root, inputs, entries), inputs };
    writeFileSync(join(staging, MANIFEST), JSON.stringify(manifest));
    swapIn(staging, out);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { entry: join(out, 'server.js'), built: true, ms: performance.now() - started };
}

function swapIn(staging: string, out: string): void {
  const old = `${out}.old-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  if (existsSync(out)) renameSync(out, old);
  try {
    renameSync(staging, out);
  } catch (error) {
    // Another start put its bundle of the same sources there first: keep that one.
    if (!existsSync(join(out, 'server.js'))) throw error;
  } finally {
    rmSync(old, { recursive: true, force: true });
  }
}

function readManifest(out: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(out, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Content hash of the inputs (a missing one hashes as missing), the entries and the build options. */
function hashOf(root: string, inputs: string[], entries: Record<string, string>): string {
  const hash = createHash('sha256').update(`format ${FORMAT} esbuild ${esbuildVersion}\n`);
  for (const [name, path] of Object.entries(entries)) hash.update(`entry ${name} ${relative(root, path)}\n`);
  for (const input of inputs) {
    hash.update(`${input}\n`);
    try {
      hash.update(readFileSync(join(root, input)));
    } catch {
      hash.update('(missing)');
    }
  }
  return hash.digest('hex');
}

/**
 * Inline `@lumikb/*`; leave every other package external, at the absolute path it
 * resolves to from the importing file (pnpm does not hoist a package's dependencies).
 */
const thirdPartyByAbsolutePath: Plugin = {
  name: 'third-party-by-absolute-path',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind === 'entry-point' || args.pluginData === 'resolving' || args.path.startsWith('@lumikb/')) {
        return undefined;
      }
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const found = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'resolving',
      });
      if (found.errors.length > 0) return { errors: found.errors };
      return { path: found.path, external: true };
    });
  },
};
