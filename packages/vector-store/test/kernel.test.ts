import { readFileSync } from 'node:fs';
import t from 'tap';
import { assembleScoreWasm, renderModule } from '../scripts/build-wasm.ts';
import { bundleSearchWorker, renderWorkerModule } from '../scripts/build-worker.ts';

const read = (file: string) => readFileSync(new URL(`../src/postgres/${file}`, import.meta.url), 'utf8');

t.test('the embedded scoring kernel is exactly what score.wat assembles to', async (t) => {
  t.equal(
    read('score-wasm.ts'),
    renderModule(await assembleScoreWasm()),
    'run `pnpm --filter @lumikb/vector-store build:wasm` after editing score.wat',
  );
});

t.test('the embedded search worker is exactly what search-kernel.ts bundles to', async (t) => {
  t.equal(
    read('search-worker-source.ts'),
    renderWorkerModule(await bundleSearchWorker()),
    'run `pnpm --filter @lumikb/vector-store build:worker` after editing search-kernel.ts',
  );
});
