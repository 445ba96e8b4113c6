/**
 * Fuzzes every route of the knowledge-base service from its OpenAPI document: no malformed
 * request may get an answer ≥ 500 (see src/fuzz.ts for the variants; FUZZ_BUDGET_MS
 * bounds the run, FUZZ_SEED replays one).
 */

import { buildTestApp as buildWorker, WORKER_SCHEMA, WORKER_STREAMS } from '@lumikb/ingestion-worker/testing';
import { buildTestApp, createKbPlatform, seedDefaultModels } from '@lumikb/knowledge-base/testing';
import t from 'tap';
import { FUZZ_BUDGET_MS, FUZZ_SEED, fuzzService } from '../src/fuzz-run.ts';

t.setTimeout(FUZZ_BUDGET_MS + 60_000);

t.test('knowledge-base: no malformed request gets an answer ≥ 500', async (t) => {
  t.comment(`fuzz seed ${FUZZ_SEED} (replay with FUZZ_SEED=${FUZZ_SEED}), budget ${FUZZ_BUDGET_MS} ms`);
  // With a worker on the same platform: the queue routes read its consumer, and
  // default models let valid creates succeed, so ids reach the domain code.
  const platform = await createKbPlatform(t, { extraSchemas: [WORKER_SCHEMA], extraStreams: WORKER_STREAMS });
  const kb = await buildTestApp(t, {}, { platform });
  await seedDefaultModels(kb);
  await buildWorker(t, {}, { platform });

  const outcome = await fuzzService({ app: kb.app, keys: kb.keys });
  t.ok(outcome.operations > 0, `knowledge-base documents its routes (${outcome.operations} operations)`);
  t.comment(`fuzz knowledge-base: ${outcome.requests} requests, ${outcome.failures.length} responses >= 500`);
  t.same(
    outcome.failures.slice(0, 20),
    [],
    `${outcome.failures.length} of ${outcome.requests} requests answered ≥ 500`,
  );
});
