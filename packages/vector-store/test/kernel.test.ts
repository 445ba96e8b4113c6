import { readFileSync } from 'node:fs';
import t from 'tap';
import { assembleScoreWasm, renderModule } from '../scripts/build-wasm.ts';

t.test('the embedded scoring kernel is exactly what score.wat assembles to', async (t) => {
  const expected = renderModule(await assembleScoreWasm());
  const embedded = readFileSync(new URL('../src/postgres/score-wasm.ts', import.meta.url), 'utf8');
  t.equal(embedded, expected, 'run `pnpm --filter @lumikb/vector-store build:wasm` after editing score.wat');
});
