/**
 * Processes one attempt of one document: parse → chunk → embed → index, reporting every
 * step through the outbox. Re-running an attempt (after a crash or a redelivery) redoes
 * it from the start and ends in the same state: point ids are deterministic and the
 * document's old points are removed before indexing, so nothing is duplicated or missing.
 */
import {
  type Actor,
  DocumentFailed,
  DocumentProcessed,
  DocumentStepChanged,
  documentParts,
  initialProcessingSteps,
  PROCESSING_STEPS,
  type ProcessingStep,
  type ProcessingSteps,
} from '@lumikb/contracts';
import { type Kysely, sql } from '@lumikb/db';
import { type EventContext, recordEvent } from '@lumikb/events';
import { type ChunkOptions, type ExtractedDocument, type LocatedChunk, ParseError, type Section } from '@lumikb/ingest';
import { DimensionMismatchError, LlmError, type LlmModel, type LlmRouter } from '@lumikb/llm';
import { isVectorStoreError, pointId, type VectorPoint, type VectorStore } from '@lumikb/vector-store';
import type { Logger } from 'pino';
import type { IngestionWorkerDatabase } from '../db/database.ts';
import { type KbClient, KbGoneError, type ProcessingJob } from '../kb-client.ts';
import type { WorkerMetrics } from '../metrics.ts';
import type { Limit } from './embed-limit.ts';
import { lexicalTerms } from './lexical.ts';
import { claimJob, finishJob, holdsLease, type Lease, nextSeq, setJobStatus } from './repository.ts';

export interface JobRef {
  documentId: string;
  kbId: string;
  attempt: number;
  requestId?: string | undefined;
}

export interface Delivery {
  /** 1 on the first delivery of the message. */
  count: number;
  /** No redelivery will follow: a transient failure now ends the attempt as FAILED. */
  last: boolean;
}

/** Hooks for tests (crash mid-document, slow steps). */
export interface ProcessorHooks {
  beforeStep?(step: ProcessingStep, job: JobRef): Promise<void> | void;
  afterBatch?(step: 'embed' | 'index', done: number, total: number, job: JobRef): Promise<void> | void;
}

/** Parsing and chunking under the parse budgets, out of the worker's process (a ParseSandbox). */
export interface DocumentParser {
  extractDocument(bytes: Uint8Array, format: ProcessingJob['document']['format']): Promise<ExtractedDocument>;
  chunkDocument(
    doc: { text: string; sections: Section[] },
    options: Omit<ChunkOptions, 'maxChunks'>,
  ): Promise<LocatedChunk[]>;
}

export interface ProcessorDeps {
  db: Kysely<IngestionWorkerDatabase>;
  parser: DocumentParser;
  kb: KbClient;
  vectors: VectorStore;
  llm: LlmRouter;
  logger: Logger;
  workerId: string;
  metrics: WorkerMetrics;
  progressIntervalMs: number;
  /**
   * A step that starts within this long of the last report is not reported on its own:
   * the next report carries it (0: every step start is reported at once).
   */
  stepReportIntervalMs: number;
  indexBatchSize: number;
  /** Shared by every document of this worker: bounds the embedding batches in flight. */
  embedLimit: Limit;
  hooks?: ProcessorHooks | undefined;
}

export type Outcome = 'done' | 'failed' | 'stale' | 'gone' | 'retry' | 'lease_lost';

/** A failure another delivery will not fix (corrupt file, no text, wrong dimensions …). */
class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(
    message: string,
    /** Whether a user retry may help later (e.g. once an admin fixed the model). */
    readonly userRetryable = false,
  ) {
    super(message);
  }
}

class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

class GoneError extends Error {
  override name = 'GoneError';
}

const ACTOR: Actor = { type: 'service', id: 'ingestion-worker' };

/** Classifies an error from a step: permanent, gone, lease lost, or transient (anything else). */
function classify(error: unknown): PermanentError | GoneError | LeaseLostError | Error {
  if (error instanceof PermanentError || error instanceof GoneError || error instanceof LeaseLostError) return error;
  if (error instanceof ParseError) return new PermanentError(permanentParseMessage(error));
  if (error instanceof KbGoneError) return new GoneError(error.message);
  if (isVectorStoreError(error, 'COLLECTION_NOT_FOUND')) return new GoneError('the knowledge base was deleted');
  if (isVectorStoreError(error, 'DIMENSION_MISMATCH')) {
    return new PermanentError(`Dimension mismatch between the embedding model and the collection: ${error.message}`);
  }
  if (error instanceof DimensionMismatchError) return new PermanentError(error.message);
  if (error instanceof LlmError && !error.retryable) {
    // Authentication, unknown model, missing proxy …: an administrator must act first.
    return new PermanentError(`Embedding failed: ${error.message}`, true);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * `CODE: reason`, and that it is final: parsing depends on the bytes only, so a retry of
 * the unchanged file fails the same way (the document's error is all the API shows).
 */
function permanentParseMessage(error: ParseError): string {
  const reason = error.message.startsWith(`${error.code}:`) ? error.message : `${error.code}: ${error.message}`;
  return `${reason.replace(/\.$/, '')}. Permanent: retrying the unchanged file will fail again.`;
}

export async function processJob(deps: ProcessorDeps, job: JobRef, delivery: Delivery): Promise<Outcome> {
  const log = deps.logger.child({ documentId: job.documentId, attempt: job.attempt, delivery: delivery.count });
  const event: EventContext = { actor: ACTOR, ...(job.requestId ? { requestId: job.requestId } : {}) };
  const startedAt = Date.now();

  let info: ProcessingJob;
  try {
    info = await deps.kb.job(job.documentId);
  } catch (error) {
    if (error instanceof KbGoneError) return 'gone';
    // Without the KB we cannot even report a failure; after the last delivery the KB's
    // stuck-document sweep re-queues the document.
    log.warn({ err: error }, 'cannot load the document from the knowledge-base service');
    return 'retry';
  }
  const current = info.document;
  if (current.attempt > job.attempt) return 'stale';
  if (current.attempt < job.attempt) return 'retry';
  if (current.status === 'READY' || current.status === 'FAILED') return 'stale';

  // The original is fetched while the lease is taken (one round trip less per document);
  // its failure surfaces in the parse step, as if fetched there.
  const original = deps.kb.original(job.documentId);
  original.catch(() => {});
  const lease = await claimJob(deps.db, {
    documentId: job.documentId,
    attempt: job.attempt,
    kbId: job.kbId,
    workerId: deps.workerId,
  });
  if (!lease) return 'stale';

  const steps: ProcessingSteps = initialProcessingSteps(current.uploaded_at);
  let step: ProcessingStep = 'parse';
  const reports = new StepReports(deps, job, lease, event);

  const begin = async (next: ProcessingStep) => {
    step = next;
    await deps.hooks?.beforeStep?.(next, job);
    steps[next] = { status: 'in_progress', started_at: new Date().toISOString(), completed_at: null };
    await reports.stepStarted(next, steps);
  };
  // A step's completion is reported with the start of the next one (one event, one
  // commit on each side instead of two): the snapshot carries both changes.
  const finish = (done: ProcessingStep) => {
    steps[done] = { ...steps[done], status: 'done', completed_at: new Date().toISOString() };
    deps.metrics.stepSeconds.observe(
      { step: done },
      (Date.parse(steps[done].completed_at!) - Date.parse(steps[done].started_at!)) / 1000,
    );
  };
  const progress = (at: ProcessingStep, doneCount: number, total: number) =>
    reports.progress(at, steps, { done: doneCount, total });
  let contentInFlight: Promise<unknown> | undefined;

  try {
    // parse
    await begin('parse');
    const bytes = await original;
    const extracted = await deps.parser.extractDocument(bytes, current.format);
    const { text } = extracted;
    finish('parse');

    // chunk
    await begin('chunk');
    const { chunk_size: chunkSize, chunk_overlap: chunkOverlap } = info.knowledge_base;
    const chunks = await deps.parser.chunkDocument(extracted, { chunkSize, chunkOverlap });
    if (chunks.length === 0) throw new ParseError('The document contains no text to index');
    finish('chunk');

    // embed
    await begin('embed');
    const model = embeddingModelOf(info);
    const batchSize = batchSizeOf(model);
    const vectors: number[][] = [];
    for (let start = 0; start < chunks.length; start += batchSize) {
      const batch = chunks.slice(start, start + batchSize).map((c) => c.text);
      vectors.push(...(await deps.embedLimit(() => deps.llm.embed(model, batch))));
      await deps.hooks?.afterBatch?.('embed', vectors.length, chunks.length, job);
      await progress('embed', vectors.length, chunks.length);
    }
    if (vectors.length !== chunks.length) throw new Error(`embedded ${vectors.length} of ${chunks.length} chunks`);
    finish('embed');

    // index
    await begin('index');
    const collection = info.knowledge_base.collection;
    // The text and offsets for the viewer travel while the points are written (the
    // document's slot is free one round trip sooner). The KB refuses them for a document
    // deleted (404) or retried (409) meanwhile, so this one call also tells whether the
    // attempt still counts — no second fetch of the job; its answer is awaited once the
    // points are written, so a deleted document's points are dropped after they landed.
    const content = settled(
      deps.kb.saveContent(job.documentId, {
        attempt: job.attempt,
        text,
        chunk_size: chunkSize,
        chunk_overlap: chunkOverlap,
        chunks: chunks.map((c) => (c.location ? [c.start, c.end, c.location] : [c.start, c.end])),
        parts: documentParts(extracted.sections.map((s) => [s.start, s.end, s.location])),
      }),
    );
    contentInFlight = content;
    // The first batch replaces the document's earlier points (a shorter re-chunking must
    // not leave extra chunks) in the same transaction; a document of one batch, the usual
    // case, is indexed by one write, which the vector store commits together with the
    // writes of the other documents indexing at the same time.
    for (let start = 0; start < chunks.length; start += deps.indexBatchSize) {
      if (!(await holdsLease(deps.db, lease))) throw new LeaseLostError('another worker took over this document');
      const points: VectorPoint[] = chunks.slice(start, start + deps.indexBatchSize).map((c) => ({
        id: pointId(job.documentId, c.index),
        vector: vectors[c.index]!,
        payload: {
          kb_id: job.kbId,
          document_id: job.documentId,
          chunk_index: c.index,
          text: c.text,
          start_offset: c.start,
          end_offset: c.end,
          // Where the chunk is (page, slide, sheet rows, headings); absent for plain text.
          ...(c.location ? { location: c.location } : {}),
        },
        // Keyword (BM25) terms in the KB's language, analysed as queries will be.
        lexical: lexicalTerms(c.text, info.knowledge_base.language),
      }));
      if (start === 0) await deps.vectors.replaceDocument(collection, job.documentId, points);
      else await deps.vectors.upsert(collection, points);
      const indexed = Math.min(start + deps.indexBatchSize, chunks.length);
      await deps.hooks?.afterBatch?.('index', indexed, chunks.length, job);
      await progress('index', indexed, chunks.length);
    }
    // Written in several transactions: check that no other writer interfered. (One
    // replaceDocument leaves exactly its points by construction.)
    if (chunks.length > deps.indexBatchSize) {
      const stored = await deps.vectors.count(collection, { document_id: job.documentId });
      if (stored !== chunks.length)
        throw new Error(`index holds ${stored} chunks of this document, expected ${chunks.length}`);
    }
    const saved = await content;
    contentInFlight = undefined;
    if (saved.error !== undefined) {
      const error = saved.error;
      if (!(error instanceof KbGoneError)) throw error;
      await reports.settle().catch(() => {});
      if (error.status === 404) await deps.vectors.deleteByDocument(collection, job.documentId).catch(() => {});
      await setJobStatus(deps.db, lease, 'abandoned', {
        error: error.status === 404 ? 'document deleted during processing' : 'a newer attempt started',
      });
      return error.status === 404 ? 'gone' : 'stale';
    }
    finish('index');

    await reports.settle();
    await deps.db.transaction().execute(async (trx) => {
      const seq = await finishJob(trx, lease, 'done', { chunkCount: chunks.length });
      if (seq === undefined) throw new LeaseLostError('another worker took over this document');
      await recordEvent(
        trx,
        DocumentProcessed,
        {
          document_id: job.documentId,
          kb_id: job.kbId,
          attempt: job.attempt,
          seq,
          chunk_count: chunks.length,
          character_count: text.length,
          processing_steps: steps,
          duration_ms: Date.now() - startedAt,
          worker_id: deps.workerId,
        },
        event,
      );
    });
    deps.metrics.documents.inc({ outcome: 'ready' });
    deps.metrics.processed.inc();
    deps.metrics.chunks.inc(chunks.length);
    log.info({ chunks: chunks.length, ms: Date.now() - startedAt }, 'document processed');
    return 'done';
  } catch (raw) {
    // Nothing of this attempt may still be on its way once it ends.
    await contentInFlight;
    const error = classify(raw);
    // A step report still on its way must not race the final one.
    await reports.settle().catch(() => {});
    if (error instanceof LeaseLostError) {
      log.warn('another worker took over this document; stopping');
      return 'lease_lost';
    }
    if (error instanceof GoneError) {
      log.info({ reason: error.message }, 'document or knowledge base gone; nothing to do');
      await setJobStatus(deps.db, lease, 'abandoned', { error: error.message }).catch(() => {});
      return 'gone';
    }
    const permanent = error instanceof PermanentError;
    if (!permanent && !delivery.last) {
      log.warn({ err: raw, step }, 'transient failure; the document will be retried');
      await setJobStatus(deps.db, lease, 'retrying', { error: error.message }).catch(() => {});
      deps.metrics.documents.inc({ outcome: 'retried' });
      return 'retry';
    }
    const message = permanent
      ? error.message
      : `${error.message} (gave up after ${delivery.count} attempt${delivery.count === 1 ? '' : 's'})`;
    try {
      await reportFailure(
        deps,
        job,
        lease,
        steps,
        step,
        message,
        permanent ? (error as PermanentError).userRetryable : true,
        event,
      );
    } catch (reportError) {
      if (reportError instanceof LeaseLostError) return 'lease_lost';
      throw reportError;
    }
    // A FAILED document has no searchable chunks.
    await deps.vectors.deleteByDocument(info.knowledge_base.collection, job.documentId).catch(() => {});
    deps.metrics.documents.inc({ outcome: 'failed' });
    deps.metrics.failed.inc({ step });
    log.warn({ step, error: message }, 'document processing failed');
    return 'failed';
  }
}

/**
 * The `document.step_changed` reports of one attempt, each through the outbox with the
 * next `seq` of the job (only while the lease is ours). Quick steps are folded: a step
 * that starts within `stepReportIntervalMs` of the last report is not reported on its
 * own; the next report carries it in its snapshot, and if none comes in time a timer
 * sends it, so a step that lasts is never unreported for longer than the interval. A
 * document processed within the interval thus writes one report (processed) instead of five.
 * Reports go one at a time, in order; one that failed fails the next call.
 */
class StepReports {
  /**
   * The job's start counts as a report: a document done within the interval of it (a
   * small file) writes its final report only, and one that takes longer is shown as
   * processing by the timer, at most one interval after it started.
   */
  private lastAt = Date.now();
  private lastProgressAt = 0;
  private pending: { step: ProcessingStep; steps: ProcessingSteps } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly deps: ProcessorDeps,
    private readonly job: JobRef,
    private readonly lease: Lease,
    private readonly event: EventContext,
  ) {}

  async stepStarted(step: ProcessingStep, steps: ProcessingSteps): Promise<void> {
    this.throwIfFailed();
    this.lastProgressAt = Date.now();
    const wait = this.lastAt + this.deps.stepReportIntervalMs - Date.now();
    if (wait <= 0) {
      await this.send(step, steps);
      return;
    }
    this.pending = { step, steps: structuredClone(steps) };
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const held = this.pending;
      if (held) void this.send(held.step, held.steps).catch(() => {});
    }, wait);
  }

  /**
   * Progress of a long step (embed, index), at most every `progressIntervalMs` and never
   * within `stepReportIntervalMs` of the last report; not after the last batch (the
   * step's end follows at once).
   */
  async progress(step: ProcessingStep, steps: ProcessingSteps, progress: { done: number; total: number }) {
    this.throwIfFailed();
    if (progress.done >= progress.total) return;
    const now = Date.now();
    if (now - this.lastProgressAt < this.deps.progressIntervalMs) return;
    if (now - this.lastAt < this.deps.stepReportIntervalMs) return;
    this.lastProgressAt = Date.now();
    await this.send(step, steps, progress);
  }

  /** Waits for the reports on their way and drops a held one: the final report carries its snapshot. */
  async settle(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.chain;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private send(step: ProcessingStep, steps: ProcessingSteps, progress?: { done: number; total: number }) {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    this.lastAt = Date.now();
    const snapshot = structuredClone(steps);
    const sent = this.chain.then(() => this.write(step, snapshot, progress));
    this.chain = sent.catch((error) => {
      this.failure ??= error;
    });
    return sent;
  }

  private async write(step: ProcessingStep, steps: ProcessingSteps, progress?: { done: number; total: number }) {
    const { deps, job, lease, event } = this;
    await deps.db.transaction().execute(async (trx) => {
      // A step report need not wait for the disk: losing the last ones in a database crash
      // is no worse than a worker crash a moment earlier (the job is redone), and the final
      // report's ordinary commit makes every earlier one durable too.
      await sql`set local synchronous_commit = off`.execute(trx);
      const seq = await nextSeq(trx, lease);
      if (seq === undefined) throw new LeaseLostError('another worker took over this document');
      await recordEvent(
        trx,
        DocumentStepChanged,
        {
          document_id: job.documentId,
          kb_id: job.kbId,
          attempt: job.attempt,
          seq,
          step,
          status: steps[step].status,
          processing_steps: steps,
          ...(progress ? { progress } : {}),
          worker_id: deps.workerId,
        },
        event,
      );
    });
  }
}

/** A promise that never rejects: its value, or what it threw. */
function settled(promise: Promise<void>): Promise<{ error?: unknown }> {
  return promise.then(
    () => ({}),
    (error: unknown) => ({ error }),
  );
}

function embeddingModelOf(info: ProcessingJob): LlmModel {
  const model = info.embedding_model;
  if (!model) {
    throw new PermanentError(
      "The knowledge base's embedding model is no longer registered; its documents cannot be embedded",
      true,
    );
  }
  const dimensions = model.config.dimensions;
  if (typeof dimensions === 'number' && dimensions !== info.knowledge_base.dimensions) {
    throw new PermanentError(
      `Dimension mismatch: the embedding model now produces ${dimensions}-dimensional vectors but the knowledge base's collection holds ${info.knowledge_base.dimensions}`,
    );
  }
  const { status: _status, ...llmModel } = model;
  return llmModel;
}

function batchSizeOf(model: LlmModel): number {
  const b = model.config.batch_size;
  return typeof b === 'number' && Number.isInteger(b) && b > 0 ? Math.min(b, 1024) : 32;
}

async function reportFailure(
  deps: ProcessorDeps,
  job: JobRef,
  lease: Lease,
  steps: ProcessingSteps,
  step: ProcessingStep,
  message: string,
  retryable: boolean,
  event: EventContext,
): Promise<void> {
  const now = new Date().toISOString();
  steps[step] = { status: 'error', started_at: steps[step].started_at ?? now, completed_at: now };
  for (const later of PROCESSING_STEPS.slice(PROCESSING_STEPS.indexOf(step) + 1)) {
    steps[later] = { status: 'skipped', started_at: null, completed_at: null };
  }
  await deps.db.transaction().execute(async (trx) => {
    const seq = await finishJob(trx, lease, 'failed', { error: message });
    if (seq === undefined) throw new LeaseLostError('another worker took over this document');
    await recordEvent(
      trx,
      DocumentFailed,
      {
        document_id: job.documentId,
        kb_id: job.kbId,
        attempt: job.attempt,
        seq,
        step,
        error: message,
        retryable,
        processing_steps: steps,
        step_errors: { [step]: message },
        worker_id: deps.workerId,
      },
      event,
    );
  });
}
