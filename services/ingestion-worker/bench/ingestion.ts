/**
 * Ingestion throughput (chunks/s) of the whole pipeline — upload, the worker's parse,
 * chunk, embed and index, reports back to the KB — with the built-in embedder, and with a
 * fake provider answering every embedding batch after a fixed latency. Each figure comes
 * with "the limit": the same chunks embedded alone, in the same batches and with the same
 * concurrency as the worker, so the ratio says how much the pipeline costs on top of
 * embedding. Runs on the local Postgres and NATS (or DATABASE_URL / NATS_URL).
 */
import { chunkText, extractText } from '@lumikb/ingest';
import { modelView, registerModel } from '@lumikb/knowledge-base/testing';
import { type LlmModel, LlmRouter } from '@lumikb/llm';
import { startFakeOllama, type Teardown } from '@lumikb/test-kit';
import { startPipeline } from '../test/pipeline-helper.ts';

const WORDS = (
  'pump valve pressure maintenance schedule warranty seal gasket bearing lubricant inspection torque ' +
  'calibration sensor alarm shutdown startup procedure operator manual section figure table appendix ' +
  'safety hazard voltage current motor impeller housing flange coupling alignment vibration noise'
).split(' ');

function documentText(seed: number, chars: number): string {
  let out = '';
  let x = (seed + 1) * 2654435761;
  while (out.length < chars) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += `${WORDS[x % WORDS.length]}${x % 13 === 0 ? '.\n\n' : x % 7 === 0 ? '. ' : ' '}`;
  }
  return out;
}

/** Uploads in bulk requests of 100 files, as an import would. */
async function uploadAll(pipeline: Awaited<ReturnType<typeof startPipeline>>, kbId: string, texts: string[]) {
  const ids: string[] = [];
  for (let start = 0; start < texts.length; start += 100) {
    const boundary = `----bench${start}`;
    const parts = texts
      .slice(start, start + 100)
      .map(
        (text, i) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="doc-${start + i}.txt"\r\n` +
          `Content-Type: text/plain\r\n\r\n${text}\r\n`,
      );
    const res = await pipeline.kb.app.inject({
      method: 'POST',
      url: `/api/v1/knowledge-bases/${kbId}/documents/bulk`,
      headers: {
        authorization: `Bearer ${pipeline.kb.tokens.operator}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload: `${parts.join('')}--${boundary}--\r\n`,
    });
    if (res.statusCode !== 201) throw new Error(`bulk upload failed: ${res.statusCode} ${res.body.slice(0, 300)}`);
    for (const item of res.json().items as { document: { id: string } }[]) ids.push(item.document.id);
  }
  return ids;
}

interface Scenario {
  label: string;
  documents: number;
  charsPerDocument: number;
  /** Fixed latency per embedding batch of the fake provider; undefined = built-in embedder. */
  batchLatencyMs?: number;
}

/** Embedding batches in flight (the worker's EMBED_CONCURRENCY, and the limit's concurrency). */
const EMBED_CONCURRENCY = 2;
/** Documents in flight: more than the embedder's slots, so it never waits for the rest of the pipeline. */
const DOCUMENTS_IN_FLIGHT = Number(process.env.INGEST_BENCH_DOCUMENTS_IN_FLIGHT ?? 8);

async function runScenario(t: Teardown, scenario: Scenario) {
  const concurrency = EMBED_CONCURRENCY;
  const pipeline = await startPipeline(t, {
    workerEnv: {
      WORKER_CONCURRENCY: String(DOCUMENTS_IN_FLIGHT),
      EMBED_CONCURRENCY: String(EMBED_CONCURRENCY),
      PROGRESS_INTERVAL_MS: '1000',
      // The production defaults, not the test helper's (which reports every step at once
      // and heartbeats every second so tests can watch): the benchmark measures what a
      // deployed worker pays.
      STEP_REPORT_INTERVAL_MS: '1000',
      JOB_ACK_WAIT_MS: '60000',
    },
    workerOptions: { llm: new LlmRouter({ retries: 0 }) },
  });
  let embeddingModelId = pipeline.models.embedding.id;
  let model: LlmModel = { ...pipeline.models.embedding, config: pipeline.models.embedding.config };
  if (scenario.batchLatencyMs !== undefined) {
    const fake = await startFakeOllama(t, { models: [{ name: 'bench-embed', dimensions: 384 }] });
    fake.setLatency(scenario.batchLatencyMs);
    const view = await registerModel(
      pipeline.kb,
      modelView({
        type: 'embedding',
        provider: 'ollama' as never,
        name: 'Fake provider',
        model_id: 'bench-embed',
        api_endpoint: fake.url,
        config: { dimensions: 384, max_tokens: 512, normalize: true, distance_metric: 'cosine', batch_size: 32 },
      }),
    );
    embeddingModelId = view.id;
    model = view;
  }
  const chunkSize = 500;
  const chunkOverlap = 50;
  const kb = await pipeline.api.createKb({
    name: scenario.label,
    embedding_model_id: embeddingModelId,
    config_overrides: { chunk_size: chunkSize, chunk_overlap: chunkOverlap },
  });
  const texts = Array.from({ length: scenario.documents }, (_, i) => documentText(i, scenario.charsPerDocument));

  // The limit: the same chunks embedded alone, in the worker's batches and concurrency.
  const perDocument = await Promise.all(
    texts.map(async (text) => chunkText(await extractText(Buffer.from(text), 'txt'), { chunkSize, chunkOverlap })),
  );
  const totalChunks = perDocument.reduce((n, c) => n + c.length, 0);
  const router = new LlmRouter({ retries: 0 });
  const batchSize = Number(model.config.batch_size ?? 32);
  const llmModel: LlmModel = {
    id: model.id,
    type: 'embedding',
    provider: model.provider,
    model_id: model.model_id,
    api_endpoint: model.api_endpoint,
    config: model.config,
  };
  let next = 0;
  const aloneStarted = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < perDocument.length) {
        const chunks = perDocument[next++]!;
        for (let i = 0; i < chunks.length; i += batchSize) {
          await router.embed(
            llmModel,
            chunks.slice(i, i + batchSize).map((c) => c.text),
          );
        }
      }
    }),
  );
  const aloneSeconds = (performance.now() - aloneStarted) / 1000;

  // Warm-up, not timed: one small document per processing slot, so the parse sandbox
  // processes are started and the figures are those of a worker that has been running.
  const warm = await pipeline.api.createKb({
    name: `${scenario.label} (warm-up)`,
    embedding_model_id: embeddingModelId,
  });
  const warmIds = await uploadAll(
    pipeline,
    warm.id,
    Array.from({ length: DOCUMENTS_IN_FLIGHT }, (_, i) => documentText(i, 300)),
  );
  await pipeline.api.waitForKbProcessed(warm.id, warmIds.length, {
    timeoutMs: 300_000,
    intervalMs: 20,
    what: 'the warm-up documents processed',
  });

  const started = performance.now();
  const ids = await uploadAll(pipeline, kb.id, texts);
  const uploadSeconds = (performance.now() - started) / 1000;
  await pipeline.api.waitForKbProcessed(kb.id, ids.length, {
    timeoutMs: 600_000,
    intervalMs: 20,
    what: 'every document processed',
  });
  const pipelineSeconds = (performance.now() - started) / 1000;
  const failed = await pipeline.kb.deps.db.db
    .selectFrom('documents')
    .select('id')
    .where('kb_id', '=', kb.id)
    .where('status', '=', 'FAILED')
    .execute();
  if (failed.length > 0) throw new Error(`${failed.length} documents FAILED during the benchmark`);
  const breakdown = await stepBreakdown(pipeline, kb.id);
  const indexed = await pipeline.kb.deps.vectors.count(kb.collection);
  if (indexed !== totalChunks) throw new Error(`indexed ${indexed} chunks, expected ${totalChunks}`);
  return {
    chunks: totalChunks,
    documents: scenario.documents,
    documentsPerSecond: scenario.documents / pipelineSeconds,
    batchSize,
    pipeline: totalChunks / pipelineSeconds,
    alone: totalChunks / aloneSeconds,
    breakdown,
    uploadSeconds,
    pipelineSeconds,
  };
}

/**
 * Where a document's wall time goes, averaged over the scenario's documents (ms): waiting
 * for a worker (upload → parse started), each step, and the final report (index done →
 * READY in the KB).
 */
async function stepBreakdown(pipeline: Awaited<ReturnType<typeof startPipeline>>, kbId: string) {
  const rows = await pipeline.kb.deps.db.db
    .selectFrom('documents')
    .select(['created_at', 'processed_at', 'processing_steps'])
    .where('kb_id', '=', kbId)
    .execute();
  const sums: Record<string, number> = { queue: 0, parse: 0, chunk: 0, embed: 0, index: 0, report: 0 };
  for (const row of rows) {
    const steps = row.processing_steps as Record<string, { started_at: string | null; completed_at: string | null }>;
    const at = (iso: string | null | undefined) => (iso ? Date.parse(iso) : Number.NaN);
    sums.queue! += at(steps.parse?.started_at) - row.created_at.getTime();
    for (const step of ['parse', 'chunk', 'embed', 'index']) {
      sums[step]! += at(steps[step]?.completed_at) - at(steps[step]?.started_at);
    }
    sums.report! += (row.processed_at?.getTime() ?? Number.NaN) - at(steps.index?.completed_at);
  }
  return Object.entries(sums)
    .map(([k, v]) => `${k} ${(v / Math.max(1, rows.length)).toFixed(0)}`)
    .join(', ');
}

export async function benchIngestion(
  options: { documents?: number; charsPerDocument?: number; batchLatencyMs?: number; smallDocuments?: number } = {},
): Promise<Record<string, string | number>> {
  const teardowns: (() => unknown)[] = [];
  const t: Teardown = { teardown: (fn) => void teardowns.push(fn) };
  const documents = options.documents ?? Number(process.env.INGEST_BENCH_DOCUMENTS ?? 40);
  const chars = options.charsPerDocument ?? Number(process.env.INGEST_BENCH_CHARS ?? 25_000);
  const latency = options.batchLatencyMs ?? Number(process.env.INGEST_BENCH_BATCH_LATENCY_MS ?? 50);
  const fmt = (n: number) => n.toFixed(0);
  // How long the bulk upload requests took, of the whole timed run (they overlap processing).
  const spans = (r: { uploadSeconds: number; pipelineSeconds: number }) =>
    `${r.uploadSeconds.toFixed(2)} / ${r.pipelineSeconds.toFixed(2)}`;
  // INGEST_BENCH_SCENARIOS=local,fake,small picks scenarios (e.g. one at a time under a profiler).
  const wanted = new Set((process.env.INGEST_BENCH_SCENARIOS ?? 'local,fake,small').split(',').map((s) => s.trim()));
  const figures: Record<string, string | number> = {};
  try {
    if (wanted.has('local')) {
      const local = await runScenario(t, { label: 'Built-in embedder', documents, charsPerDocument: chars });
      figures.workload = `${documents} txt documents, ${local.chunks} chunks of ≤500 chars, ${DOCUMENTS_IN_FLIGHT} documents and ${EMBED_CONCURRENCY} embedding batches in flight`;
      figures['built-in embedder: pipeline chunks/s'] = fmt(local.pipeline);
      figures['built-in embedder: embedding alone chunks/s'] = fmt(local.alone);
      figures['built-in embedder: pipeline / alone'] = (local.pipeline / local.alone).toFixed(2);
      figures['built-in embedder: ms per document'] = local.breakdown;
      figures['built-in embedder: upload s / total s'] = spans(local);
    }
    if (wanted.has('fake')) {
      const fake = await runScenario(t, {
        label: 'Fake provider',
        documents,
        charsPerDocument: chars,
        batchLatencyMs: latency,
      });
      figures[`fake provider (${latency} ms per batch of ${fake.batchSize}): pipeline chunks/s`] = fmt(fake.pipeline);
      figures['fake provider: embedding alone chunks/s (the limit)'] = fmt(fake.alone);
      figures['fake provider: pipeline / alone'] = (fake.pipeline / fake.alone).toFixed(2);
      figures['fake provider: ms per document'] = fake.breakdown;
      figures['fake provider: upload s / total s'] = spans(fake);
    }
    if (wanted.has('small')) {
      const small = await runScenario(t, {
        label: 'Small documents',
        documents: options.smallDocuments ?? Number(process.env.INGEST_BENCH_SMALL_DOCUMENTS ?? 1_000),
        charsPerDocument: 300,
      });
      figures[`${small.documents} one-chunk documents (built-in embedder): documents/s`] = fmt(
        small.documentsPerSecond,
      );
      figures['one-chunk documents: embedding alone documents/s'] = fmt(small.alone / (small.chunks / small.documents));
      figures['one-chunk documents: pipeline / alone'] = (small.pipeline / small.alone).toFixed(3);
      figures['one-chunk documents: ms per document'] = small.breakdown;
      figures['one-chunk documents: upload s / total s'] = spans(small);
    }
    return figures;
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}
