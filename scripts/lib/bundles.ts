/**
 * The bundles `pnpm start` runs: one esbuild bundle per service in services/<name>/.bundle/,
 * rebuilt only when a file it was built from changed. Starting `node .bundle/server.js`
 * costs a fraction of compiling hundreds of TypeScript files with tsx in every service.
 *
 * Our workspace packages and nearly every third-party package are inlined (one file loads
 * much faster than hundreds resolved one by one); the few in KEEP_EXTERNAL stay imports,
 * resolved at build time to their absolute path in node_modules, so a service finds them
 * whether or not it declares them itself. (That makes a `.bundle` machine-local: images
 * use `pnpm build`, which keeps bare imports.)
 *
 * A service that starts a second file at run time (a worker thread, a child process)
 * declares it in its package.json, `"lumikb": { "entryPoints": { "<name>": "<path>" } }`
 * (path relative to the service's folder); it is bundled beside server.js as `<name>.js`.
 * See docs/operations.md#bundles.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import type { Plugin } from 'esbuild';

/** Bumped when the options below change, so older bundles are rebuilt. */
const FORMAT = 2;
const MANIFEST = 'inputs.json';
/** From esbuild's package.json: reading it is cheaper than loading esbuild. */
const ESBUILD_VERSION = (
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8')) as {
    version: string;
  }
).version;

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

export interface BundleConfig {
  /** Output name (without .js) → absolute source path; `server` is the service itself. */
  entries: Record<string, string>;
  /** Packages left as imports on top of KEEP_EXTERNAL. */
  external: string[];
}

/**
 * From the service's package.json: `main` (a .ts file) or src/server.ts, and its
 * `"lumikb": { "entryPoints": { "<name>": "<path>" }, "external": ["<package>"] }`.
 */
export function bundleConfigOf(serviceDir: string): BundleConfig {
  const pkg = JSON.parse(readFileSync(join(serviceDir, 'package.json'), 'utf8')) as {
    main?: string;
    lumikb?: { entryPoints?: Record<string, string>; external?: string[] };
  };
  const main = pkg.main && /\.[mc]?ts$/.test(pkg.main) ? pkg.main : 'src/server.ts';
  const entries: Record<string, string> = { server: resolve(serviceDir, main) };
  for (const [name, path] of Object.entries(pkg.lumikb?.entryPoints ?? {})) {
    if (!/^[\w.-]+$/.test(name) || name === 'server') {
      throw new Error(`${serviceDir}/package.json: lumikb.entryPoints name "${name}" is not a plain file name`);
    }
    entries[name] = resolve(serviceDir, path);
  }
  return { entries, external: pkg.lumikb?.external ?? [] };
}

/** Reuses services/<name>/.bundle when every input is unchanged; builds it otherwise. */
export async function ensureBundle(root: string, serviceDir: string): Promise<BundleResult> {
  return (await ensureBundles(root, [serviceDir]))[0]!;
}

/**
 * The bundles of several services, in the order given. Those whose inputs changed are
 * built together in one esbuild run, which parses the packages they share once.
 */
export async function ensureBundles(root: string, serviceDirs: string[]): Promise<BundleResult[]> {
  const started = performance.now();
  const stale: { dir: string; config: BundleConfig; staging: string }[] = [];
  const results = new Map<string, BundleResult>();
  for (const dir of serviceDirs) {
    const out = join(dir, '.bundle');
    const config = bundleConfigOf(dir);
    const current = readManifest(out);
    if (current && existsSync(join(out, 'server.js')) && hashOf(root, current.inputs, config) === current.hash) {
      results.set(dir, { entry: join(out, 'server.js'), built: false, ms: performance.now() - started });
    } else {
      // Built beside the final folder (one level below the service, as the sources' src/
      // is, so paths relative to import.meta.url hold), then swapped in: a concurrent start
      // never runs a half-written bundle.
      stale.push({ dir, config, staging: `${out}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}` });
    }
  }
  if (stale.length === 0) return serviceDirs.map((d) => results.get(d)!);

  // Output paths relative to the common outdir (the repository root) name each service's staging folder.
  const entryPoints: Record<string, string> = {};
  for (const { staging, config } of stale) {
    for (const [name, source] of Object.entries(config.entries))
      entryPoints[join(relative(root, staging), name)] = source;
  }
  const external = [...new Set(stale.flatMap((s) => s.config.external))];
  // Loaded only when something is to be built: a start with every bundle fresh skips it.
  const { build } = await import('esbuild');
  try {
    const result = await build({
      entryPoints,
      outdir: root,
      // Metafile paths are relative to this.
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: 'linked',
      // Stack traces point at the sources (node --enable-source-maps); a smaller map loads faster.
      sourcesContent: false,
      // As Node resolves: no bundler-only `module` condition or main field.
      conditions: [],
      mainFields: ['main'],
      metafile: true,
      plugins: [keepExternal([...KEEP_EXTERNAL, ...external])],
      // Inlined CommonJS may call require() or read __dirname; give the ESM output both.
      banner: {
        js: [
          "import { createRequire as __lumikbRequire } from 'node:module';",
          "import { fileURLToPath as __lumikbPath } from 'node:url';",
          'const require = __lumikbRequire(import.meta.url);',
          'const __filename = __lumikbPath(import.meta.url);',
          "const __dirname = __lumikbPath(new URL('.', import.meta.url));",
        ].join(' '),
      },
      logLevel: 'silent',
    });
    for (const { dir, config, staging } of stale) {
      const inputs = new Set<string>();
      for (const [output, meta] of Object.entries(result.metafile.outputs)) {
        if (!resolve(root, output).startsWith(`${staging}/`)) continue;
        for (const input of Object.keys(meta.inputs)) inputs.add(relative(root, resolve(root, input)));
      }
      const sorted = [...inputs].sort();
      const manifest: Manifest = { hash: hashOf(root, sorted, config), inputs: sorted };
      writeFileSync(join(staging, MANIFEST), JSON.stringify(manifest));
      swapIn(staging, join(dir, '.bundle'));
      results.set(dir, { entry: join(dir, '.bundle', 'server.js'), built: true, ms: performance.now() - started });
    }
  } finally {
    for (const { staging } of stale) rmSync(staging, { recursive: true, force: true });
  }
  return serviceDirs.map((d) => results.get(d)!);
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

/**
 * Content hash of the inputs (a missing one hashes as missing), the entries and the build
 * options. Files under node_modules are named but not read: the lockfile stands for them.
 */
function hashOf(root: string, inputs: string[], config: BundleConfig): string {
  const hash = createHash('sha256').update(
    `format ${FORMAT} esbuild ${ESBUILD_VERSION} external ${[...KEEP_EXTERNAL, ...config.external]}\n`,
  );
  for (const [name, path] of Object.entries(config.entries)) hash.update(`entry ${name} ${relative(root, path)}\n`);
  hash.update(readOr(join(root, 'pnpm-lock.yaml')));
  for (const input of inputs) {
    hash.update(`${input}\n`);
    if (input.includes('node_modules/')) continue;
    hash.update(readOr(join(root, input)));
  }
  return hash.digest('hex');
}

function readOr(path: string): Buffer | string {
  try {
    return readFileSync(path);
  } catch {
    return '(missing)';
  }
}

/**
 * Packages left as imports: they load files of their own at run time (swagger-ui's
 * assets, pino's worker-thread transports, pdf.js's worker, mammoth's lazily loaded
 * parts) or are optional native add-ons. Everything else is inlined — loading one file is
 * much cheaper than resolving hundreds. A service adds its own in `lumikb.external`.
 */
const KEEP_EXTERNAL = [
  '@fastify/swagger-ui',
  'pino',
  'thread-stream',
  'pdfjs-dist',
  'mammoth',
  'pg-native',
  'cpu-features',
  'ssh2',
];

const packageName = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;

/**
 * Leaves `packages` (and any esbuild cannot resolve) external, at the absolute path they
 * resolve to from the importing file (pnpm does not hoist a package's dependencies).
 */
const keepExternal = (packages: string[]): Plugin => ({
  name: 'keep-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind === 'entry-point' || args.pluginData === 'resolving') return undefined;
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      if (!packages.includes(packageName(args.path))) return undefined;
      const found = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'resolving',
      });
      if (found.errors.length > 0) return { path: args.path, external: true };
      return { path: found.path, external: true };
    });
  },
});
