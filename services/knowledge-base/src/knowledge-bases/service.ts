/**
 * Knowledge bases: creation with validated models and a vector collection sized for the
 * embedding model, CRUD, and the model configuration with the embedding-model lock.
 */
import { randomUUID } from 'node:crypto';
import { type AccessTokenClaims, KbCreated, KbDeleted, type KbSummary, KbUpdated } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { type EventContext, recordEvent } from '@lumikb/events';
import { recordAudit } from '@lumikb/service-kit';
import { collectionName } from '@lumikb/vector-store';
import type { KbContext } from '../context.ts';
import type { KbPermissionLevel, KnowledgeBaseDatabase } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import { blobsOf } from '../documents/repository.ts';
import { errors } from '../errors.ts';
import { findModels, type ProjectedModel } from '../models/repository.ts';
import { embeddingSpecOf, modelSummary, resolveModel, resolveRerankModel } from '../models/service.ts';
import { permissionsOf, requirePermission } from '../permissions/service.ts';
import { vectorCall } from '../vectors.ts';
import { effectiveConfig, validateOverrides } from './config.ts';
import { type LexicalIndexStatus, lexicalIndexStatuses } from './lexical-backfill.ts';

const READY_INDEX: LexicalIndexStatus = { state: 'ready', done: 0, total: 0, message: null };

import {
  type DocumentCounts,
  deleteKb,
  documentCount,
  documentCounts,
  embeddedDocumentCount,
  embeddedOf,
  emptyCounts,
  findKb,
  insertKb,
  type KnowledgeBaseRow,
  listReadableKbs,
  updateKb,
} from './repository.ts';
import type {
  ConfigOverrides,
  CreateKnowledgeBase,
  KnowledgeBaseView,
  ModelConfigView,
  UpdateKnowledgeBase,
  UpdateModelConfig,
} from './schemas.ts';

const SERVICE = 'knowledge-base';

export function kbSummary(kb: KnowledgeBaseRow, documentCount: number): KbSummary {
  return {
    id: kb.id,
    name: kb.name,
    embedding_model_id: kb.embedding_model_id,
    generation_model_id: kb.generation_model_id,
    dimensions: kb.dimensions,
    distance_metric: kb.distance_metric,
    document_count: documentCount,
  };
}

function toView(
  kb: KnowledgeBaseRow,
  models: Map<string, ProjectedModel>,
  counts: DocumentCounts,
  permission: KbPermissionLevel,
  lexicalIndex: LexicalIndexStatus = READY_INDEX,
): KnowledgeBaseView {
  return {
    id: kb.id,
    name: kb.name,
    description: kb.description,
    embedding_model_id: kb.embedding_model_id,
    generation_model_id: kb.generation_model_id,
    embedding_model: modelSummary(models.get(kb.embedding_model_id)),
    generation_model: modelSummary(models.get(kb.generation_model_id)),
    config_overrides: kb.config_overrides as ConfigOverrides,
    collection: kb.collection,
    dimensions: kb.dimensions,
    distance_metric: kb.distance_metric,
    document_count: counts.total,
    documents: counts,
    embedding_model_locked: embeddedOf(counts) > 0,
    lexical_index: lexicalIndex,
    permission,
    created_by: kb.created_by,
    created_at: kb.created_at.toISOString(),
    updated_at: kb.updated_at.toISOString(),
  };
}

async function viewsOf(
  ctx: KbContext,
  kbs: KnowledgeBaseRow[],
  claims: AccessTokenClaims,
): Promise<KnowledgeBaseView[]> {
  const ids = kbs.map((k) => k.id);
  const [models, counts, permissions, lexical] = await Promise.all([
    findModels(ctx.db, [...new Set(kbs.flatMap((k) => [k.embedding_model_id, k.generation_model_id]))]),
    documentCounts(ctx.db, ids),
    permissionsOf(ctx.db, ids, claims),
    lexicalIndexStatuses(ctx.db, ids),
  ]);
  return kbs.map((kb) =>
    toView(kb, models, counts.get(kb.id) ?? emptyCounts(), permissions.get(kb.id) ?? 'READ', lexical.get(kb.id)),
  );
}

export async function createKnowledgeBase(
  ctx: KbContext,
  claims: AccessTokenClaims,
  input: CreateKnowledgeBase,
  event: EventContext,
  db: Kysely<KnowledgeBaseDatabase> = ctx.db,
): Promise<KnowledgeBaseView> {
  const overrides = input.config_overrides ?? {};
  validateOverrides(overrides);
  if (overrides.rerank) await resolveRerankModel(ctx.db, overrides.rerank.model_id);
  const embedding = await resolveModel(ctx.db, 'embedding', input.embedding_model_id);
  const generation = await resolveModel(ctx.db, 'generation', input.generation_model_id);
  const spec = embeddingSpecOf(embedding);
  const id = randomUUID();
  const collection = collectionName(id);

  const stopTimer = ctx.metrics.collectionCreateSeconds.startTimer();
  await vectorCall('Creating the vector collection', () =>
    ctx.vectors.createCollection({ name: collection, dimensions: spec.dimensions, distance: spec.distance }),
  );
  const seconds = stopTimer();
  ctx.logger.info({ kbId: id, collection, seconds }, 'vector collection created');

  let kb: KnowledgeBaseRow;
  try {
    kb = await inTransaction(db, async (trx) => {
      const row = await insertKb(trx, {
        id,
        name: input.name.trim(),
        description: input.description ?? '',
        embedding_model_id: embedding.id,
        generation_model_id: generation.id,
        config_overrides: overrides,
        collection,
        dimensions: spec.dimensions,
        distance_metric: spec.distance,
        created_by: claims.sub,
      });
      await trx
        .insertInto('kb_permissions')
        .values({
          kb_id: id,
          principal_type: 'user',
          principal_id: claims.sub,
          permission: 'ADMIN',
          granted_by: claims.sub,
        })
        .execute();
      await recordEvent(trx, KbCreated, { kb: kbSummary(row, 0) }, event);
      await recordAudit(
        trx,
        SERVICE,
        { action: 'kb.create', resourceType: 'knowledge_base', resourceId: id, newValue: kbSummary(row, 0) },
        event,
      );
      return row;
    });
  } catch (error) {
    // Nothing may be left behind by a KB that was never created.
    await ctx.vectors.deleteCollection(collection).catch(() => {});
    throw error;
  }
  const models = new Map([
    [embedding.id, embedding],
    [generation.id, generation],
  ]);
  return toView(kb, models, emptyCounts(), 'ADMIN');
}

export async function getKnowledgeBase(ctx: KbContext, claims: AccessTokenClaims, id: string) {
  await requirePermission(ctx.db, id, claims, 'READ');
  const kb = await findKb(ctx.db, id);
  if (!kb) throw errors.KB_NOT_FOUND(`Knowledge base ${id} not found`, { kb_id: id });
  const [view] = await viewsOf(ctx, [kb], claims);
  return view!;
}

export async function listKnowledgeBases(
  ctx: KbContext,
  claims: AccessTokenClaims,
  page: { limit: number; offset: number; q?: string | undefined },
) {
  const { rows, total } = await listReadableKbs(ctx.db, claims, page);
  return { items: await viewsOf(ctx, rows, claims), total, limit: page.limit, offset: page.offset };
}

export async function updateKnowledgeBase(
  ctx: KbContext,
  claims: AccessTokenClaims,
  id: string,
  input: UpdateKnowledgeBase,
  event: EventContext,
) {
  await requirePermission(ctx.db, id, claims, 'ADMIN');
  await ctx.db.transaction().execute(async (trx) => {
    const before = await findKb(trx, id, { forUpdate: true });
    if (!before) throw errors.KB_NOT_FOUND(`Knowledge base ${id} not found`, { kb_id: id });
    const changes = {
      ...(input.name !== undefined ? { name: input.name.trim() } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
    };
    const after = await updateKb(trx, id, changes);
    const count = await documentCount(trx, id);
    await recordEvent(trx, KbUpdated, { kb: kbSummary(after, count), changed_fields: Object.keys(changes) }, event);
    await recordAudit(
      trx,
      SERVICE,
      {
        action: 'kb.update',
        resourceType: 'knowledge_base',
        resourceId: id,
        oldValue: { name: before.name, description: before.description },
        newValue: { name: after.name, description: after.description },
      },
      event,
    );
  });
  return getKnowledgeBase(ctx, claims, id);
}

/**
 * Deletes the KB with its documents, grants and vectors. The collection is dropped inside
 * the transaction: if that fails, nothing is deleted.
 */
export async function deleteKnowledgeBase(ctx: KbContext, claims: AccessTokenClaims, id: string, event: EventContext) {
  await requirePermission(ctx.db, id, claims, 'ADMIN');
  await ctx.db.transaction().execute(async (trx) => {
    const kb = await findKb(trx, id, { forUpdate: true });
    if (!kb) throw errors.KB_NOT_FOUND(`Knowledge base ${id} not found`, { kb_id: id });
    const count = await documentCount(trx, id);
    // Large objects are not removed by the cascade: unlink the documents' blobs first.
    for (const blobId of await blobsOf(trx, { kbId: id })) await ctx.blobs.delete(trx, blobId);
    await deleteKb(trx, id);
    await recordEvent(trx, KbDeleted, { id }, event);
    await recordAudit(
      trx,
      SERVICE,
      { action: 'kb.delete', resourceType: 'knowledge_base', resourceId: id, oldValue: kbSummary(kb, count) },
      event,
    );
    await vectorCall('Deleting the vector collection', () => ctx.vectors.deleteCollection(kb.collection));
  });
}

function lockReason(embedded: number): string | null {
  return embedded > 0
    ? `The knowledge base has ${embedded} document${embedded === 1 ? '' : 's'} embedded with this model; vectors from another model would be meaningless in its collection. Create a new knowledge base to use another embedding model.`
    : null;
}

/** `count`: all documents; `embedded`: those with vectors, which lock the embedding model. */
async function modelConfigView(
  ctx: KbContext,
  kb: KnowledgeBaseRow,
  count: number,
  embedded: number,
): Promise<ModelConfigView> {
  const models = await findModels(ctx.db, [kb.embedding_model_id, kb.generation_model_id]);
  const overrides = kb.config_overrides as ConfigOverrides;
  return {
    kb_id: kb.id,
    embedding_model_id: kb.embedding_model_id,
    generation_model_id: kb.generation_model_id,
    embedding_model: modelSummary(models.get(kb.embedding_model_id)),
    generation_model: modelSummary(models.get(kb.generation_model_id)),
    config_overrides: overrides,
    effective_config: effectiveConfig(overrides, ctx.settings.snapshot),
    dimensions: kb.dimensions,
    distance_metric: kb.distance_metric,
    embedding_model_locked: embedded > 0,
    lock_reason: lockReason(embedded),
    document_count: count,
  };
}

export async function getModelConfig(ctx: KbContext, claims: AccessTokenClaims, id: string) {
  await requirePermission(ctx.db, id, claims, 'READ');
  const kb = await findKb(ctx.db, id);
  if (!kb) throw errors.KB_NOT_FOUND(`Knowledge base ${id} not found`, { kb_id: id });
  return modelConfigView(ctx, kb, await documentCount(ctx.db, id), await embeddedDocumentCount(ctx.db, id));
}

/**
 * Changes the generation model and overrides at any time (they apply to the next answer
 * and the next processing), and the embedding model only while the KB has no document.
 * The KB row is locked so an upload cannot slip in between the check and the change.
 */
export async function updateModelConfig(
  ctx: KbContext,
  claims: AccessTokenClaims,
  id: string,
  input: UpdateModelConfig,
  event: EventContext,
) {
  await requirePermission(ctx.db, id, claims, 'ADMIN');
  if (input.config_overrides) validateOverrides(input.config_overrides);
  const result = await ctx.db.transaction().execute(async (trx) => {
    const before = await findKb(trx, id, { forUpdate: true });
    if (!before) throw errors.KB_NOT_FOUND(`Knowledge base ${id} not found`, { kb_id: id });
    const count = await documentCount(trx, id);
    const embedded = await embeddedDocumentCount(trx, id);
    const changes: Parameters<typeof updateKb>[2] = {};
    const changed: string[] = [];

    const embeddingChange =
      input.embedding_model_id !== undefined && input.embedding_model_id !== before.embedding_model_id;
    let newSpec: { dimensions: number; distance: KnowledgeBaseRow['distance_metric'] } | undefined;
    if (embeddingChange) {
      if (embedded > 0) {
        throw errors.EMBEDDING_MODEL_LOCKED(lockReason(embedded)!, {
          kb_id: id,
          document_count: embedded,
          embedding_model_id: before.embedding_model_id,
        });
      }
      const model = await resolveModel(trx, 'embedding', input.embedding_model_id);
      const spec = embeddingSpecOf(model);
      newSpec = { dimensions: spec.dimensions, distance: spec.distance };
      changes.embedding_model_id = model.id;
      changes.dimensions = spec.dimensions;
      changes.distance_metric = spec.distance;
      changed.push('embedding_model_id');
    }
    if (input.generation_model_id !== undefined && input.generation_model_id !== before.generation_model_id) {
      changes.generation_model_id = (await resolveModel(trx, 'generation', input.generation_model_id)).id;
      changed.push('generation_model_id');
    }
    if (input.config_overrides !== undefined) {
      const rerank = input.config_overrides.rerank;
      // A new rerank model must be usable; keeping the one already bound never blocks other changes.
      if (rerank && rerank.model_id !== (before.config_overrides as ConfigOverrides).rerank?.model_id) {
        await resolveRerankModel(trx, rerank.model_id);
      }
      changes.config_overrides = input.config_overrides;
      changed.push('config_overrides');
    }
    if (changed.length === 0) return { kb: before, count, embedded };

    const after = await updateKb(trx, id, changes);
    await recordEvent(trx, KbUpdated, { kb: kbSummary(after, count), changed_fields: changed }, event);
    await recordAudit(
      trx,
      SERVICE,
      {
        action: 'kb.model_config.update',
        resourceType: 'knowledge_base',
        resourceId: id,
        oldValue: {
          embedding_model_id: before.embedding_model_id,
          generation_model_id: before.generation_model_id,
          config_overrides: before.config_overrides,
        },
        newValue: {
          embedding_model_id: after.embedding_model_id,
          generation_model_id: after.generation_model_id,
          config_overrides: after.config_overrides,
        },
      },
      event,
    );
    if (newSpec) {
      // No document has vectors: give the KB a collection sized for the new model. If that fails the
      // transaction rolls back and the old collection is put back as it was.
      try {
        await vectorCall('Recreating the vector collection', async () => {
          await ctx.vectors.deleteCollection(before.collection);
          await ctx.vectors.createCollection({ name: before.collection, ...newSpec });
        });
      } catch (error) {
        await ctx.vectors
          .deleteCollection(before.collection)
          .then(() =>
            ctx.vectors.createCollection({
              name: before.collection,
              dimensions: before.dimensions,
              distance: before.distance_metric,
            }),
          )
          .catch(() => {});
        throw error;
      }
    }
    return { kb: after, count, embedded };
  });
  return modelConfigView(ctx, result.kb, result.count, result.embedded);
}
