// Services ship as esbuild bundles (scripts/build.ts). The search worker is started from
// the source text of a function, so it must survive bundling: build it the same way and search.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTestDatabase } from '@lumikb/test-kit';
import { build } from 'esbuild';
import t from 'tap';
import type * as VectorStoreModule from '../src/index.ts';

t.test('the postgres adapter searches when bundled like a service', async (t) => {
  // Inside the package so its third-party imports resolve; dist/ is not committed.
  const outfile = fileURLToPath(new URL(`../dist/bundle-test-${randomUUID()}.mjs`, import.meta.url));
  t.teardown(() => rm(outfile, { force: true }).then(() => rm(`${outfile}.map`, { force: true })));
  await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    minify: true,
    keepNames: true,
    // As scripts/build.ts, but @lumikb/db stays external too: only this package's code is under test.
    plugins: [
      {
        name: 'external',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.kind === 'entry-point' ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
    banner: {
      js: "import { createRequire as __lumikbRequire } from 'node:module'; const require = __lumikbRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
  const bundled = (await import(pathToFileURL(outfile).href)) as typeof VectorStoreModule;
  const db = await createTestDatabase(t, []);
  const store = new bundled.PostgresVectorStore({ databaseUrl: db.url });
  t.teardown(() => store.close());
  t.equal(await store.searchKernel(), 'wasm');
  const name = `kb_${randomUUID()}`;
  await store.createCollection({ name, dimensions: 3, distance: 'cosine' });
  const doc = randomUUID();
  await store.upsert(name, [
    {
      id: bundled.pointId(doc, 0),
      vector: [1, 0, 0],
      payload: { kb_id: 'k', document_id: doc, chunk_index: 0, text: 'x', start_offset: 0, end_offset: 1 },
    },
  ]);
  const hits = await store.search(name, [1, 0, 0], { limit: 1 });
  t.equal(hits[0]?.id, bundled.pointId(doc, 0));
});
