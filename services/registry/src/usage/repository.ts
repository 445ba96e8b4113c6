/**
 * The projection of which knowledge bases use which model, kept from `kb.*` events.
 * Events may arrive late or twice: each row remembers the time of the event it reflects,
 * older events are ignored, and deleted KBs stay as tombstones.
 */
import type { KbSummary } from '@lumikb/contracts';
import { sql } from '@lumikb/db';
import type { Db } from '../models/repository.ts';

export interface KbUse {
  id: string;
  name: string;
  role: 'embedding' | 'generation';
  dimensions: number;
  distance_metric: string;
  embedding_model_id: string;
}

export async function upsertKb(db: Db, kb: KbSummary, occurredAt: Date): Promise<void> {
  await db
    .insertInto('kb_usage')
    .values({
      kb_id: kb.id,
      name: kb.name,
      embedding_model_id: kb.embedding_model_id,
      generation_model_id: kb.generation_model_id,
      dimensions: kb.dimensions,
      distance_metric: kb.distance_metric,
      document_count: kb.document_count,
      source_occurred_at: occurredAt,
    })
    .onConflict((oc) =>
      oc
        .column('kb_id')
        .doUpdateSet({
          name: (eb) => eb.ref('excluded.name'),
          embedding_model_id: (eb) => eb.ref('excluded.embedding_model_id'),
          generation_model_id: (eb) => eb.ref('excluded.generation_model_id'),
          dimensions: (eb) => eb.ref('excluded.dimensions'),
          distance_metric: (eb) => eb.ref('excluded.distance_metric'),
          document_count: (eb) => eb.ref('excluded.document_count'),
          source_occurred_at: (eb) => eb.ref('excluded.source_occurred_at'),
          updated_at: sql`now()`,
        })
        .where((eb) =>
          eb.and([eb('kb_usage.deleted', '=', false), eb('kb_usage.source_occurred_at', '<=', occurredAt)]),
        ),
    )
    .execute();
}

export async function markKbDeleted(db: Db, kbId: string, occurredAt: Date): Promise<void> {
  await db
    .insertInto('kb_usage')
    .values({
      kb_id: kbId,
      name: '',
      embedding_model_id: '00000000-0000-0000-0000-000000000000',
      generation_model_id: '00000000-0000-0000-0000-000000000000',
      dimensions: 0,
      distance_metric: '',
      document_count: 0,
      deleted: true,
      source_occurred_at: occurredAt,
    })
    .onConflict((oc) =>
      oc.column('kb_id').doUpdateSet({ deleted: true, source_occurred_at: occurredAt, updated_at: sql`now()` }),
    )
    .execute();
}

/** Knowledge bases using the model, in either role. */
export async function kbsUsingModel(db: Db, modelId: string): Promise<KbUse[]> {
  const rows = await db
    .selectFrom('kb_usage')
    .select(['kb_id', 'name', 'dimensions', 'distance_metric', 'embedding_model_id', 'generation_model_id'])
    .where('deleted', '=', false)
    .where((eb) => eb.or([eb('embedding_model_id', '=', modelId), eb('generation_model_id', '=', modelId)]))
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    id: r.kb_id,
    name: r.name,
    role: r.embedding_model_id === modelId ? 'embedding' : 'generation',
    dimensions: r.dimensions,
    distance_metric: r.distance_metric,
    embedding_model_id: r.embedding_model_id,
  }));
}

/** Number of knowledge bases using each of the given models. */
export async function kbCounts(db: Db, modelIds: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (modelIds.length === 0) return counts;
  const rows = await sql<{ model_id: string; n: number }>`
    select model_id, count(distinct kb_id)::int as n from (
      select kb_id, embedding_model_id as model_id from registry.kb_usage where not deleted
      union all
      select kb_id, generation_model_id from registry.kb_usage where not deleted
    ) uses
    where model_id = any(${modelIds}::uuid[])
    group by model_id`.execute(db);
  for (const row of rows.rows) counts.set(row.model_id, Number(row.n));
  return counts;
}

/** Live knowledge bases whose vectors do not have the given number of dimensions. */
export async function kbsWithOtherDimensions(db: Db, dimensions: number) {
  const rows = await db
    .selectFrom('kb_usage')
    .select(['kb_id', 'name', 'dimensions', 'embedding_model_id'])
    .where('deleted', '=', false)
    .where('dimensions', '!=', dimensions)
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    id: r.kb_id,
    name: r.name,
    dimensions: r.dimensions,
    embedding_model_id: r.embedding_model_id,
  }));
}
