/**
 * Fuzzes every route of the proxy-sync service from its OpenAPI document: no malformed
 * request may get an answer ≥ 500 (see src/fuzz.ts for the variants; FUZZ_BUDGET_MS
 * bounds the run, FUZZ_SEED replays one).
 */

import { buildTestApp } from '@lumikb/proxy-sync/testing';
import t from 'tap';
import { FUZZ_BUDGET_MS, FUZZ_SEED, fuzzService } from '../src/fuzz-run.ts';

t.setTimeout(FUZZ_BUDGET_MS + 60_000);

t.test('proxy-sync: no malformed request gets an answer ≥ 500', async (t) => {
  t.comment(`fuzz seed ${FUZZ_SEED} (replay with FUZZ_SEED=${FUZZ_SEED}), budget ${FUZZ_BUDGET_MS} ms`);
  const { app, keys } = await buildTestApp(t);

  const outcome = await fuzzService({ app, keys });
  t.ok(outcome.operations > 0, `proxy-sync documents its routes (${outcome.operations} operations)`);
  t.comment(`fuzz proxy-sync: ${outcome.requests} requests, ${outcome.failures.length} responses >= 500`);
  t.same(
    outcome.failures.slice(0, 20),
    [],
    `${outcome.failures.length} of ${outcome.requests} requests answered ≥ 500`,
  );
});
