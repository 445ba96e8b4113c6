/** SQL of documents, their extracted content and processing state. */
import {
  type ChunkLocation,
  type DocumentStatus,
  initialProcessingSteps,
  type ProcessingSteps,
  type StepErrors,
} from '@lumikb/contracts';
import { type Kysely, readSnapshot, sql } from '@lumikb/db';
import type { DocumentTable, KnowledgeBaseDatabase } from '../db/database.ts';

type Db = Kysely<KnowledgeBaseDatabase>;

export const documentColumns = [
  'id',
  'kb_id',
  'filename',
  'format',
  'content_type',
  'size_bytes',
  'sha256',
  'status',
  'processing_steps',
  'current_step',
  'step_errors',
  'error_message',
  'chunk_count',
  'character_count',
  'attempt',
  'last_seq',
  'auto_requeues',
  'uploaded_by',
  'created_at',
  'updated_at',
  'processing_started_at',
  'processed_at',
  'duration_ms',
  'last_progress_at',
] as const;

export interface DocumentRow {
  id: string;
  kb_id: string;
  filename: string;
  format: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  status: DocumentStatus;
  processing_steps: ProcessingSteps;
  current_step: string | null;
  step_errors: StepErrors;
  error_message: string | null;
  chunk_count: number;
  character_count: number | null;
  attempt: number;
  last_seq: number;
  auto_requeues: number;
  uploaded_by: string;
  created_at: Date;
  updated_at: Date;
  processing_started_at: Date | null;
  processed_at: Date | null;
  duration_ms: number | null;
  last_progress_at: Date;
}

/**
 * Inserts a PENDING document. Returns undefined when the KB holds the same bytes already
 * and the upload does not keep a copy (`contentUnique`); a concurrent upload of the same
 * bytes waits here until the first commits, then gets undefined too.
 */
export async function insertDocument(
  db: Db,
  doc: Pick<
    DocumentRow,
    'id' | 'kb_id' | 'filename' | 'format' | 'content_type' | 'size_bytes' | 'sha256' | 'uploaded_by'
  > & { content_unique: boolean },
  now: Date,
): Promise<DocumentRow | undefined> {
  return (await db
    .insertInto('documents')
    .values({
      ...doc,
      status: 'PENDING',
      processing_steps: JSON.stringify(initialProcessingSteps(now.toISOString())),
      current_step: 'upload',
      step_errors: '{}',
      created_at: now,
      updated_at: now,
      last_progress_at: now,
    })
    .onConflict((oc) => oc.columns(['kb_id', 'sha256']).where('content_unique', '=', true).doNothing())
    .returning(documentColumns)
    .executeTakeFirst()) as DocumentRow | undefined;
}

/** A document of the KB with these bytes (the unique one first), if any. */
export async function findByContent(
  db: Db,
  kbId: string,
  sha256: string,
): Promise<{ id: string; filename: string } | undefined> {
  return db
    .selectFrom('documents')
    .select(['id', 'filename'])
    .where('kb_id', '=', kbId)
    .where('sha256', '=', sha256)
    .orderBy('content_unique', 'desc')
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
}

export async function findDocument(
  db: Db,
  id: string,
  options: { kbId?: string; forUpdate?: boolean } = {},
): Promise<DocumentRow | undefined> {
  let query = db.selectFrom('documents').select(documentColumns).where('id', '=', id);
  if (options.kbId) query = query.where('kb_id', '=', options.kbId);
  if (options.forUpdate) query = query.forUpdate();
  return (await query.executeTakeFirst()) as DocumentRow | undefined;
}

/** The page and its total from one snapshot (readSnapshot): two queries on two connections
 * could disagree under concurrent writes. */
export function listDocuments(
  db: Db,
  kbId: string,
  filter: { status?: DocumentStatus | undefined; q?: string | undefined; limit: number; offset: number },
): Promise<{ rows: DocumentRow[]; total: number }> {
  return readSnapshot(db, (trx) => pageListDocuments(trx, kbId, filter));
}

async function pageListDocuments(
  db: Db,
  kbId: string,
  filter: { status?: DocumentStatus | undefined; q?: string | undefined; limit: number; offset: number },
): Promise<{ rows: DocumentRow[]; total: number }> {
  let query = db.selectFrom('documents').where('kb_id', '=', kbId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.q) query = query.where('filename', 'ilike', `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const [rows, count] = await Promise.all([
    query
      .select(documentColumns)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows as DocumentRow[], total: Number(count.n) };
}

export async function deleteDocument(db: Db, id: string): Promise<void> {
  await db.deleteFrom('documents').where('id', '=', id).execute();
}

/** Starts a new processing attempt: state back to PENDING, steps reset (upload stays done). */
export async function startNewAttempt(
  db: Db,
  doc: DocumentRow,
  now: Date,
  options: { autoRequeue?: boolean } = {},
): Promise<DocumentRow> {
  const steps = initialProcessingSteps(doc.processing_steps.upload.completed_at ?? doc.created_at.toISOString());
  return (await db
    .updateTable('documents')
    .set({
      status: 'PENDING',
      attempt: doc.attempt + 1,
      last_seq: 0,
      processing_steps: JSON.stringify(steps),
      current_step: 'upload',
      step_errors: '{}',
      error_message: null,
      chunk_count: 0,
      processing_started_at: null,
      processed_at: null,
      duration_ms: null,
      updated_at: now,
      last_progress_at: now,
      ...(options.autoRequeue ? { auto_requeues: doc.auto_requeues + 1 } : {}),
    })
    .where('id', '=', doc.id)
    .returning(documentColumns)
    .executeTakeFirstOrThrow()) as DocumentRow;
}

/**
 * A worker report's change, applied only if it is current: the document's attempt, a
 * `seq` above the last applied, and processing not ended. One statement (the row lock
 * of the update orders concurrent reports); false when it did not apply.
 * `processing_started_at` is kept when already set.
 */
export async function applyCurrentReport(
  db: Db,
  id: string,
  report: { attempt: number; seq: number },
  changes: Parameters<typeof updateProcessingState>[2],
  now: Date,
): Promise<boolean> {
  const { processing_steps, step_errors, processing_started_at, ...rest } = changes;
  const row = await db
    .updateTable('documents')
    .set({
      ...rest,
      ...(processing_steps ? { processing_steps: JSON.stringify(processing_steps) } : {}),
      ...(step_errors ? { step_errors: JSON.stringify(step_errors) } : {}),
      ...(processing_started_at !== undefined
        ? { processing_started_at: sql`coalesce(processing_started_at, ${processing_started_at})` }
        : {}),
      updated_at: now,
      last_progress_at: now,
    })
    .where('id', '=', id)
    .where('attempt', '=', report.attempt)
    .where('last_seq', '<', report.seq)
    .where('status', 'not in', ['READY', 'FAILED'])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function updateProcessingState(
  db: Db,
  id: string,
  changes: Partial<{
    status: DocumentTable['status'];
    processing_steps: ProcessingSteps;
    current_step: string | null;
    step_errors: StepErrors;
    error_message: string | null;
    chunk_count: number;
    character_count: number | null;
    last_seq: number;
    processing_started_at: Date | null;
    processed_at: Date | null;
    duration_ms: number | null;
  }>,
  now: Date,
): Promise<void> {
  const { processing_steps, step_errors, ...rest } = changes;
  await db
    .updateTable('documents')
    .set({
      ...rest,
      ...(processing_steps ? { processing_steps: JSON.stringify(processing_steps) } : {}),
      ...(step_errors ? { step_errors: JSON.stringify(step_errors) } : {}),
      updated_at: now,
      last_progress_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export async function saveOriginal(db: Db, documentId: string, blobId: number): Promise<void> {
  await db.insertInto('document_originals').values({ document_id: documentId, blob_oid: blobId }).execute();
}

export async function findOriginalBlob(db: Db, documentId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('document_originals')
    .select('blob_oid')
    .where('document_id', '=', documentId)
    .executeTakeFirst();
  return row ? Number(row.blob_oid) : undefined;
}

/** Blob ids (originals and extracted texts) of one document or of all documents of a KB. */
export async function blobsOf(db: Db, of: { documentId: string } | { kbId: string }): Promise<number[]> {
  const ids = 'documentId' in of ? [of.documentId] : undefined;
  const docs = db
    .selectFrom('documents')
    .select('id')
    .where('kb_id', '=', 'kbId' in of ? of.kbId : '');
  const originals = await db
    .selectFrom('document_originals')
    .select('blob_oid as id')
    .where('document_id', 'in', ids ?? docs)
    .execute();
  const texts = await db
    .selectFrom('document_contents')
    .select('text_oid as id')
    .where('document_id', 'in', ids ?? docs)
    .where('text_oid', 'is not', null)
    .execute();
  return [...originals, ...texts].map((r) => Number(r.id));
}

/**
 * Keeps the extracted text (a blob) and chunk offsets of an attempt; returns the blob of
 * the text it replaces, for the caller to delete.
 */
export async function saveContent(
  db: Db,
  content: {
    document_id: string;
    attempt: number;
    text_oid: number;
    character_count: number;
    chunks: ([number, number] | [number, number, ChunkLocation])[];
    parts?: [number, number, ChunkLocation][];
    chunk_size: number;
    chunk_overlap: number;
  },
): Promise<number | undefined> {
  const values = {
    ...content,
    text: null,
    chunks: JSON.stringify(content.chunks),
    parts: content.parts ? JSON.stringify(content.parts) : null,
  };
  // One statement: the text it replaces (read in the statement's snapshot, locked) and the upsert.
  const row = await db
    .with('previous', (qb) =>
      qb.selectFrom('document_contents').select('text_oid').where('document_id', '=', content.document_id).forUpdate(),
    )
    .insertInto('document_contents')
    .values(values)
    .onConflict((oc) =>
      oc.column('document_id').doUpdateSet({
        attempt: values.attempt,
        text: null,
        text_oid: values.text_oid,
        character_count: values.character_count,
        chunks: values.chunks,
        parts: values.parts,
        chunk_size: values.chunk_size,
        chunk_overlap: values.chunk_overlap,
        created_at: sql`now()`,
      }),
    )
    .returning((eb) => eb.selectFrom('previous').select('text_oid').as('previous_oid'))
    .executeTakeFirstOrThrow();
  return row.previous_oid != null ? Number(row.previous_oid) : undefined;
}

export async function findContent(db: Db, documentId: string) {
  return db
    .selectFrom('document_contents')
    .select(['document_id', 'attempt', 'text', 'text_oid', 'chunks', 'parts', 'chunk_size', 'chunk_overlap'])
    .where('document_id', '=', documentId)
    .executeTakeFirst();
}

export async function documentNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('documents').select(['id', 'filename']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.filename]));
}
