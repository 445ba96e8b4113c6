// Image build step (deploy/Dockerfile): gathers what one service's image needs into
// <out>, at the paths the bundle expects (the checkout root is /app in the build stage):
//   services/<name>/.bundle/      the bundle (server.js, child entries, source maps)
//   services/<name>/package.json  "type": "module" for the bundle
//   node_modules/.pnpm/<entry>/   each package the bundle imports by absolute path, and
//                                 the packages those depend on (pnpm's symlinks kept)
//   web/dist/                     the built SPA (gateway only)
// Plain Node (no dependencies): runs after `pnpm install` in the build stage.
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const [service, out] = process.argv.slice(2);
if (!service || !out) {
  console.error('usage: assemble-image.mjs <service> <out-dir>');
  process.exit(2);
}
const root = process.cwd();
const store = join(root, 'node_modules', '.pnpm');
const bundleDir = join(root, 'services', service, '.bundle');
if (!existsSync(join(bundleDir, 'server.js'))) {
  console.error(`no bundle at ${bundleDir}/server.js (scripts/containers/bundle-for-images.ts runs first)`);
  process.exit(1);
}

/** The .pnpm entry folder (node_modules/.pnpm/<entry>) holding an absolute path, if any. */
const entryOf = (path) => {
  const rel = relative(store, path);
  return rel.startsWith('..') || rel === '' ? undefined : rel.split(sep)[0];
};

// Absolute imports into the store, from every .js file of the bundle.
const wanted = new Set();
for (const file of readdirSync(bundleDir).filter((f) => f.endsWith('.js'))) {
  const text = readFileSync(join(bundleDir, file), 'utf8');
  for (const m of text.matchAll(/["'](\/[^"'\s]*\/node_modules\/\.pnpm\/[^"'\s]+)["']/g)) {
    const entry = entryOf(m[1]);
    if (entry) wanted.add(entry);
  }
}

// Each entry's node_modules holds its package and symlinks to its dependencies' entries.
const queue = [...wanted];
while (queue.length > 0) {
  const modules = join(store, queue.pop(), 'node_modules');
  for (const name of readdirSync(modules)) {
    const links = name.startsWith('@')
      ? readdirSync(join(modules, name)).map((n) => join(modules, name, n))
      : [join(modules, name)];
    for (const link of links) {
      if (!lstatSync(link).isSymbolicLink()) continue;
      const entry = entryOf(realpathSync(link));
      if (entry && !wanted.has(entry)) {
        wanted.add(entry);
        queue.push(entry);
      }
    }
  }
}

const copy = (from) => {
  const to = join(out, relative(root, from));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
};
copy(bundleDir);
copy(join(root, 'services', service, 'package.json'));
for (const entry of wanted) copy(join(store, entry));
if (service === 'gateway') {
  if (!existsSync(join(root, 'web', 'dist', 'index.html'))) {
    console.error('the gateway serves the SPA, but web/dist/index.html was not built');
    process.exit(1);
  }
  copy(join(root, 'web', 'dist'));
}
console.log(`${service}: bundle + ${wanted.size} external package folder(s): ${[...wanted].sort().join(' ')}`);
