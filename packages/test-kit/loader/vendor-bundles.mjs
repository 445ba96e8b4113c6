/**
 * Builds (once per package version) and finds the single-copy bundles that register.mjs
 * loads instead of typebox's and kysely's many small files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Pure-ESM packages with many files and no dependencies of their own. */
const BUNDLED = ['typebox', 'kysely'];
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const STORE = join(ROOT, 'node_modules', '.pnpm');
const CACHE = join(ROOT, 'node_modules', '.cache', 'lumikb-test-vendor');

/** Every installed copy of the bundled packages (pnpm keeps one folder per version). */
function installedPackages() {
  if (!existsSync(STORE)) return [];
  const found = [];
  for (const entry of readdirSync(STORE)) {
    const name = BUNDLED.find((n) => entry.startsWith(`${n}@`));
    if (!name) continue;
    const dir = join(STORE, entry, 'node_modules', name);
    if (existsSync(join(dir, 'package.json'))) found.push({ name, dir, key: entry });
  }
  return found;
}

/** export subpath -> file, for the `import` (else `default`) condition of each entry. */
function entryFiles(dir) {
  const { exports } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const entries = {};
  for (const [subpath, target] of Object.entries(exports ?? {})) {
    if (subpath.includes('*') || subpath.endsWith('package.json')) continue;
    const file = typeof target === 'string' ? target : (target?.import ?? target?.default);
    if (typeof file !== 'string' || !/\.m?js$/.test(file)) continue;
    const name = subpath === '.' ? 'index' : subpath.slice(2).replaceAll('/', '__');
    entries[name] = join(dir, file);
  }
  return entries;
}

function build(esbuild, entries, outdir) {
  // Built beside, then renamed into place: a parallel test process sees all or nothing.
  const tmp = `${outdir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  esbuild.buildSync({
    entryPoints: entries,
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
  });
  try {
    renameSync(tmp, outdir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process got there first
  }
}

/** original entry URL -> bundle entry URL; empty (nothing redirected) if anything fails. */
export function vendorRedirects() {
  try {
    const esbuild = createRequire(join(ROOT, 'package.json'))('esbuild');
    const redirects = {};
    for (const pkg of installedPackages()) {
      const entries = entryFiles(pkg.dir);
      const outdir = join(CACHE, `${pkg.key}-esbuild${esbuild.version}`);
      if (!existsSync(outdir)) {
        mkdirSync(CACHE, { recursive: true });
        build(esbuild, entries, outdir);
      }
      for (const [name, file] of Object.entries(entries)) {
        const bundle = join(outdir, `${name}.mjs`);
        if (existsSync(bundle)) redirects[pathToFileURL(file).href] = pathToFileURL(bundle).href;
      }
    }
    return redirects;
  } catch (error) {
    process.emitWarning(`test vendor bundles unavailable, loading packages file by file: ${error}`);
    return {};
  }
}
