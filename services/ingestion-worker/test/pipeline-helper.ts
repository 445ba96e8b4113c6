/**
 * The knowledge-base service and the ingestion worker together on one test database and
 * one NATS prefix: the KB listens on a real port, the worker calls it over HTTP.
 */
import type { AddressInfo } from 'node:net';
import {
  auth,
  buildTestApp as buildKbApp,
  createKbPlatform,
  type BuildOptions as KbBuildOptions,
  multipart,
  seedDefaultModels,
} from '@lumikb/knowledge-base/testing';
import { type Teardown, waitFor } from '@lumikb/test-kit';
import { buildTestApp as buildWorkerApp, WORKER_SCHEMA, WORKER_STREAMS, type WorkerBuildOptions } from './helper.ts';

export interface PipelineOptions {
  kbEnv?: Record<string, string>;
  kbOptions?: Omit<KbBuildOptions, 'platform'>;
  workerEnv?: Record<string, string>;
  workerOptions?: Omit<WorkerBuildOptions, 'platform'>;
  /** Start one worker right away (default true). */
  worker?: boolean;
}

export const FAST_WORKER_ENV = {
  JOB_ACK_WAIT_MS: '3000',
  JOB_BACKOFF_MS: '100,200,400',
  PROGRESS_INTERVAL_MS: '50',
  // Every step reported as it starts, so tests can watch each one (folding has its own test).
  STEP_REPORT_INTERVAL_MS: '0',
};

export async function startPipeline(t: Teardown, options: PipelineOptions = {}) {
  const platform = await createKbPlatform(t, { extraSchemas: [WORKER_SCHEMA], extraStreams: WORKER_STREAMS });
  const kb = await buildKbApp(t, options.kbEnv ?? {}, { ...options.kbOptions, platform });
  await kb.app.listen({ port: 0, host: '127.0.0.1' });
  const kbUrl = `http://127.0.0.1:${(kb.app.server.address() as AddressInfo).port}`;
  const models = await seedDefaultModels(kb);
  const startWorker = (env: Record<string, string> = {}, extra: Omit<WorkerBuildOptions, 'platform'> = {}) =>
    buildWorkerApp(
      t,
      { KB_URL: kbUrl, ...FAST_WORKER_ENV, ...options.workerEnv, ...env },
      {
        ...options.workerOptions,
        ...extra,
        platform,
      },
    );
  const worker = options.worker === false ? undefined : await startWorker();
  const tokens = platform.tokens;

  const api = {
    async createKb(body: Record<string, unknown>, token = tokens.operator) {
      const res = await kb.app.inject({
        method: 'POST',
        url: '/api/v1/knowledge-bases',
        headers: auth(token),
        payload: body,
      });
      if (res.statusCode !== 201) throw new Error(`create KB failed: ${res.statusCode} ${res.body}`);
      return res.json() as { id: string; collection: string; dimensions: number; [k: string]: unknown };
    },
    async upload(kbId: string, filename: string, content: Buffer | string, token = tokens.operator) {
      const body = multipart(filename, content);
      const res = await kb.app.inject({
        method: 'POST',
        url: `/api/v1/knowledge-bases/${kbId}/documents`,
        headers: { ...auth(token), ...body.headers },
        payload: body.payload,
      });
      if (res.statusCode !== 201) throw new Error(`upload failed: ${res.statusCode} ${res.body}`);
      return res.json() as { id: string; status: string; [k: string]: unknown };
    },
    async document(kbId: string, docId: string, token = tokens.operator) {
      const res = await kb.app.inject({
        method: 'GET',
        url: `/api/v1/knowledge-bases/${kbId}/documents/${docId}`,
        headers: auth(token),
      });
      return res.json() as Record<string, unknown> & { status: string; attempt: number; chunk_count: number };
    },
    async waitForStatus(kbId: string, docId: string, statuses: string | string[], timeoutMs = 30_000) {
      const wanted = Array.isArray(statuses) ? statuses : [statuses];
      return waitFor(
        async () => {
          const doc = await api.document(kbId, docId);
          return wanted.includes(doc.status) ? doc : false;
        },
        { timeoutMs, intervalMs: 50, what: `document ${docId} ${wanted.join('|')}` },
      );
    },
    /** Waits until `count` documents of the KB have ended READY or FAILED (benchmarks, bulk tests). */
    async waitForKbProcessed(
      kbId: string,
      count: number,
      options: { timeoutMs: number; intervalMs?: number; what?: string },
    ) {
      return waitFor(
        async () => {
          // A count, not the rows: benchmarks poll this every few ms while the worker runs.
          const row = await kb.deps.db.db
            .selectFrom('documents')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('kb_id', '=', kbId)
            .where('status', 'in', ['READY', 'FAILED'])
            .executeTakeFirstOrThrow();
          return Number(row.n) === count ? row : false;
        },
        {
          timeoutMs: options.timeoutMs,
          intervalMs: options.intervalMs ?? 50,
          what: options.what ?? `${count} documents of KB ${kbId} processed`,
        },
      );
    },
    async search(body: Record<string, unknown>, token = tokens.operator) {
      return kb.app.inject({ method: 'POST', url: '/api/v1/search', headers: auth(token), payload: body });
    },
  };
  return { platform, kb, kbUrl, models, worker, startWorker, api, tokens };
}

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/** How many times the document's job was delivered to a worker (1 = never retried). */
export async function deliveriesOf(pipeline: Pipeline, documentId: string): Promise<number> {
  const job = await pipeline
    .worker!.deps.db.db.selectFrom('jobs')
    .select('deliveries')
    .where('document_id', '=', documentId)
    .executeTakeFirstOrThrow();
  return job.deliveries;
}

/** Parses a text/event-stream body into its events (kept here for the worker's tests' imports). */
export { parseSse } from '@lumikb/test-kit';
