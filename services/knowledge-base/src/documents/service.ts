/**
 * Documents of a KB: upload (type checked by content, nothing stored when refused),
 * listing, deletion with its vectors, retry of failed processing and the extracted text.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type AccessTokenClaims,
  DocumentDeleted,
  type DocumentFormat,
  DocumentRetryRequested,
  type DocumentStatus,
  DocumentUploaded,
  documentParts,
  KbUpdated,
  partTitle,
} from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { type EventContext, type PendingEvent, pendingEvent, recordEvent, recordEvents } from '@lumikb/events';
import { auditEvent, recordAudit } from '@lumikb/service-kit';
import { isVectorStoreError } from '@lumikb/vector-store';
import type { KbContext } from '../context.ts';
import type { KnowledgeBaseDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { documentCount, findKb, type KnowledgeBaseRow, lockDocumentCount } from '../knowledge-bases/repository.ts';
import { kbSummary } from '../knowledge-bases/service.ts';
import { requirePermission } from '../permissions/service.ts';
import { vectorCall } from '../vectors.ts';
import { readWhole } from './blob-store.ts';
import type { ReceivedFile } from './receive.ts';
import {
  blobsOf,
  type DocumentRow,
  deleteDocument,
  findByContent,
  findContent,
  findDocument,
  findOriginalBlob,
  insertDocument,
  listDocuments,
  saveOriginal,
  startNewAttempt,
} from './repository.ts';
import type { DocumentView } from './schemas.ts';

const SERVICE = 'knowledge-base';

export function toDocumentView(doc: DocumentRow): DocumentView {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: doc.id,
    kb_id: doc.kb_id,
    filename: doc.filename,
    format: doc.format as DocumentFormat,
    content_type: doc.content_type,
    size_bytes: Number(doc.size_bytes),
    sha256: doc.sha256,
    status: doc.status,
    processing_steps: doc.processing_steps,
    current_step: doc.current_step,
    step_errors: doc.step_errors ?? {},
    error_message: doc.error_message,
    chunk_count: doc.chunk_count,
    character_count: doc.character_count,
    attempt: doc.attempt,
    uploaded_by: doc.uploaded_by,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
    processing_started_at: iso(doc.processing_started_at),
    processed_at: iso(doc.processed_at),
    duration_ms: doc.duration_ms,
  };
}

/** Control (C0, C1), format (bidi overrides and isolates, zero-width, BOM) and line/paragraph separators. */
const CONTROL_OR_INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
/** Breaks and tabs separate words: they become one space, not nothing. */
const LINE_OR_TAB = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;

/**
 * The file name as shown and stored: its last path segment, NFC, without characters
 * that only deceive (a right-to-left override shows "invoice\u202Efdp.exe" as
 * "invoiceexe.pdf") or break a line, at most 255 characters.
 */
export function cleanFilename(raw: string | undefined): string {
  const base = (raw ?? '').normalize('NFC').split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(LINE_OR_TAB, ' ').replace(CONTROL_OR_INVISIBLE, '').replace(/ {2,}/g, ' ').trim();
  return Array.from(cleaned || 'document')
    .slice(0, 255)
    .join('');
}

/**
 * Records a received file as a PENDING document of the KB, queued for processing, in the
 * transaction that wrote its blob. Throws DUPLICATE_DOCUMENT when the KB holds the same
 * bytes already, unless `allowDuplicate`.
 */
export async function storeDocument(
  ctx: KbContext,
  trx: Kysely<KnowledgeBaseDatabase>,
  claims: AccessTokenClaims,
  kbId: string,
  file: ReceivedFile,
  event: EventContext,
  allowDuplicate: boolean,
): Promise<DocumentView> {
  const now = ctx.clock();
  // FOR SHARE: an upload and a change of the embedding model never interleave.
  // The whole row: the document-count event below carries the KB's summary.
  const kb = await findKb(trx, kbId, { forShare: true });
  if (!kb) throw errors.KB_NOT_FOUND(`Knowledge base ${kbId} not found`, { kb_id: kbId });
  const duplicate = () => findByContent(trx, kbId, file.sha256);
  const existing = allowDuplicate ? undefined : await duplicate();
  const row =
    existing === undefined
      ? await insertDocument(
          trx,
          {
            id: randomUUID(),
            kb_id: kbId,
            filename: file.filename,
            format: file.format,
            content_type: file.contentType,
            size_bytes: file.size,
            sha256: file.sha256,
            uploaded_by: claims.sub,
            content_unique: !allowDuplicate,
          },
          now,
        )
      : undefined;
  if (!row) {
    // Found before inserting, or inserted by a concurrent upload that committed first.
    const same = existing ?? (await duplicate());
    ctx.metrics.uploads.inc({ outcome: 'duplicate' });
    throw errors.DUPLICATE_DOCUMENT(
      `This knowledge base already holds the same file as "${same?.filename ?? 'another document'}"; send allow_duplicate=true to keep both`,
      { filename: file.filename, document_id: same?.id ?? null, existing_filename: same?.filename ?? null },
    );
  }
  await saveOriginal(trx, row.id, file.blobId);
  // The upload's three events in one insert (an import of many small files pays this per file).
  await recordEvents(
    trx,
    [
      pendingEvent(DocumentUploaded, {
        document_id: row.id,
        kb_id: kbId,
        filename: file.filename,
        format: file.format,
        content_type: file.contentType,
        size_bytes: file.size,
        sha256: row.sha256,
        attempt: row.attempt,
      }),
      ...(await documentCountEvent(trx, kbId, kb)),
      auditEvent(SERVICE, {
        action: 'document.upload',
        resourceType: 'document',
        resourceId: row.id,
        newValue: { kb_id: kbId, filename: file.filename, format: file.format, size_bytes: file.size },
      }),
    ],
    event,
  );
  ctx.metrics.uploads.inc({ outcome: 'accepted' });
  return toDocumentView(row);
}

/**
 * kb.updated with the new document count, so other contexts' KB projections stay right.
 * Concurrent uploads each count inside their own transaction and cannot see each other's
 * rows: two of them would both publish N+1. A per-KB lock held to commit makes each
 * count see every earlier upload, so the last event published carries the exact total.
 */
async function publishDocumentCount(trx: Kysely<KnowledgeBaseDatabase>, kbId: string, event: EventContext) {
  await recordEvents(trx, await documentCountEvent(trx, kbId), event);
}

/** The kb.updated event with the count (none if the KB is gone), the lock taken; record it before commit. */
async function documentCountEvent(
  trx: Kysely<KnowledgeBaseDatabase>,
  kbId: string,
  /** The KB's row, when the caller already read it in this transaction (locked, so unchanged). */
  known?: KnowledgeBaseRow,
): Promise<PendingEvent[]> {
  await lockDocumentCount(trx, kbId);
  const kb = known ?? (await findKb(trx, kbId));
  if (!kb) return [];
  return [
    pendingEvent(KbUpdated, { kb: kbSummary(kb, await documentCount(trx, kbId)), changed_fields: ['document_count'] }),
  ];
}

async function documentOf(ctx: KbContext, kbId: string, docId: string): Promise<DocumentRow> {
  const doc = await findDocument(ctx.db, docId, { kbId });
  if (!doc)
    throw errors.DOCUMENT_NOT_FOUND(`Document ${docId} not found in this knowledge base`, { document_id: docId });
  return doc;
}

export async function getDocument(ctx: KbContext, claims: AccessTokenClaims, kbId: string, docId: string) {
  await requirePermission(ctx.db, kbId, claims, 'READ');
  return toDocumentView(await documentOf(ctx, kbId, docId));
}

export async function listKbDocuments(
  ctx: KbContext,
  claims: AccessTokenClaims,
  kbId: string,
  filter: { status?: DocumentStatus | undefined; q?: string | undefined; limit: number; offset: number },
) {
  await requirePermission(ctx.db, kbId, claims, 'READ');
  const { rows, total } = await listDocuments(ctx.db, kbId, filter);
  return { items: rows.map(toDocumentView), total, limit: filter.limit, offset: filter.offset };
}

/** Removes the document's vectors first: if the vector store is down, nothing is deleted. */
export async function deleteKbDocument(
  ctx: KbContext,
  claims: AccessTokenClaims,
  kbId: string,
  docId: string,
  event: EventContext,
) {
  await requirePermission(ctx.db, kbId, claims, 'WRITE');
  const doc = await documentOf(ctx, kbId, docId);
  const kb = await findKb(ctx.db, kbId);
  if (!kb) throw errors.KB_NOT_FOUND(`Knowledge base ${kbId} not found`, { kb_id: kbId });
  await removeVectors(ctx, kb.collection, doc.id);
  await ctx.db.transaction().execute(async (trx) => {
    const locked = await findDocument(trx, docId, { kbId, forUpdate: true });
    if (!locked) return;
    await deleteDocumentBlobs(ctx, trx, { documentId: docId });
    await deleteDocument(trx, docId);
    await recordEvent(trx, DocumentDeleted, { document_id: docId, kb_id: kbId }, event);
    await publishDocumentCount(trx, kbId, event);
    await recordAudit(
      trx,
      SERVICE,
      {
        action: 'document.delete',
        resourceType: 'document',
        resourceId: docId,
        oldValue: { kb_id: kbId, filename: doc.filename, status: doc.status, chunk_count: doc.chunk_count },
      },
      event,
    );
  });
}

export async function removeVectors(ctx: KbContext, collection: string, documentId: string): Promise<void> {
  await vectorCall('Deleting the document vectors', async () => {
    try {
      await ctx.vectors.deleteByDocument(collection, documentId);
    } catch (error) {
      if (!isVectorStoreError(error, 'COLLECTION_NOT_FOUND')) throw error;
    }
  });
}

/**
 * Puts a FAILED document back in the queue as a new attempt. Used by the single retry
 * route and by bulk retry; throws DOCUMENT_NOT_FAILED for any other status.
 */
export async function requeueFailedDocument(
  ctx: KbContext,
  trx: Kysely<KnowledgeBaseDatabase>,
  docId: string,
  reason: 'manual' | 'bulk',
  event: EventContext,
  kbId?: string,
): Promise<DocumentRow> {
  const doc = await findDocument(trx, docId, { forUpdate: true, ...(kbId ? { kbId } : {}) });
  if (!doc) throw errors.DOCUMENT_NOT_FOUND(`Document ${docId} not found`, { document_id: docId });
  if (doc.status !== 'FAILED') {
    throw errors.DOCUMENT_NOT_FAILED(`Only FAILED documents can be retried; this one is ${doc.status}`, {
      document_id: docId,
      status: doc.status,
    });
  }
  const next = await startNewAttempt(trx, doc, ctx.clock());
  await recordEvent(
    trx,
    DocumentRetryRequested,
    { document_id: doc.id, kb_id: doc.kb_id, attempt: next.attempt, reason },
    event,
  );
  await recordAudit(
    trx,
    SERVICE,
    {
      action: 'document.retry',
      resourceType: 'document',
      resourceId: doc.id,
      oldValue: { status: doc.status, attempt: doc.attempt, step_errors: doc.step_errors },
      newValue: { status: next.status, attempt: next.attempt, reason },
    },
    event,
  );
  return next;
}

export async function retryDocument(
  ctx: KbContext,
  claims: AccessTokenClaims,
  kbId: string,
  docId: string,
  event: EventContext,
) {
  await requirePermission(ctx.db, kbId, claims, 'WRITE');
  const doc = await ctx.db
    .transaction()
    .execute((trx) => requeueFailedDocument(ctx, trx, docId, 'manual', event, kbId));
  return toDocumentView(doc);
}

export async function documentContent(ctx: KbContext, claims: AccessTokenClaims, kbId: string, docId: string) {
  await requirePermission(ctx.db, kbId, claims, 'READ');
  const doc = await documentOf(ctx, kbId, docId);
  const content = await findContent(ctx.db, doc.id);
  if (!content) {
    throw errors.DOCUMENT_NOT_PROCESSED(`The text of this document is not extracted yet (status ${doc.status})`, {
      document_id: docId,
      status: doc.status,
    });
  }
  // The viewer shows the whole text: read whole here (the worker wrote it in pieces).
  const text =
    content.text_oid !== null
      ? (await readWhole(ctx.blobs, ctx.db, Number(content.text_oid))).toString('utf8')
      : (content.text ?? '');
  return {
    document_id: doc.id,
    kb_id: doc.kb_id,
    attempt: content.attempt,
    text,
    character_count: text.length,
    chunk_size: content.chunk_size,
    chunk_overlap: content.chunk_overlap,
    chunks: content.chunks.map(([start, end, location], index) => ({
      index,
      start_offset: start,
      end_offset: end,
      text: text.slice(start, end),
      // Documents processed before locations existed have none; re-processing adds them.
      ...(location ? { location } : {}),
    })),
    // Stored by the worker from the parser's sections; for text stored before, from the chunks.
    parts: (content.parts ?? documentParts(content.chunks)).map(([start, end, location]) => ({
      start_offset: start,
      end_offset: end,
      location,
      title: partTitle(text.slice(start, Math.min(end, start + 400)), location),
    })),
  };
}

export async function documentOriginal(ctx: KbContext, claims: AccessTokenClaims, kbId: string, docId: string) {
  await requirePermission(ctx.db, kbId, claims, 'READ');
  const doc = await documentOf(ctx, kbId, docId);
  const blobId = await findOriginalBlob(ctx.db, doc.id);
  if (blobId === undefined)
    throw errors.DOCUMENT_NOT_FOUND(`The original file of document ${docId} is missing`, { document_id: docId });
  return { doc, content: Readable.from(ctx.blobs.read(ctx.db, blobId)) };
}

/** Unlinks the blobs (original, extracted text) of one document or of every document of a KB. */
export async function deleteDocumentBlobs(
  ctx: KbContext,
  trx: Kysely<KnowledgeBaseDatabase>,
  of: { documentId: string } | { kbId: string },
): Promise<void> {
  for (const id of await blobsOf(trx, of)) await ctx.blobs.delete(trx, id);
}
