/** The local projection of the registry's models (fed by model.* events). */
import type { ModelType, ModelView } from '@lumikb/contracts';
import { type Kysely, sql } from '@lumikb/db';
import type { KnowledgeBaseDatabase, ModelTable } from '../db/database.ts';

type Db = Kysely<KnowledgeBaseDatabase>;

export interface ProjectedModel {
  id: string;
  type: ModelType;
  provider: ModelView['provider'];
  name: string;
  model_id: string;
  api_endpoint: string | null;
  config: Record<string, unknown>;
  status: ModelTable['status'];
  is_default: boolean;
}

const columns = [
  'id',
  'type',
  'provider',
  'name',
  'model_id',
  'api_endpoint',
  'config',
  'status',
  'is_default',
] as const;

function toModel(row: Omit<ProjectedModel, 'provider'> & { provider: string }): ProjectedModel {
  return { ...row, provider: row.provider as ProjectedModel['provider'], config: row.config ?? {} };
}

export async function findModel(db: Db, id: string): Promise<ProjectedModel | undefined> {
  const row = await db
    .selectFrom('models')
    .select(columns)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? toModel(row) : undefined;
}

export async function findModels(db: Db, ids: string[]): Promise<Map<string, ProjectedModel>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('models')
    .select(columns)
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null)
    .execute();
  return new Map(rows.map((r) => [r.id, toModel(r)]));
}

export async function findDefaultModel(db: Db, type: ModelType): Promise<ProjectedModel | undefined> {
  const row = await db
    .selectFrom('models')
    .select(columns)
    .where('type', '=', type)
    .where('is_default', '=', true)
    .where('status', '=', 'active')
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? toModel(row) : undefined;
}

/**
 * Applies a model view unless we already hold a newer one or the model was deleted.
 * Returns true when the view was applied.
 */
export async function applyModelView(db: Db, view: ModelView): Promise<boolean> {
  const applied = await db
    .insertInto('models')
    .values({
      id: view.id,
      type: view.type,
      provider: view.provider,
      name: view.name,
      model_id: view.model_id,
      api_endpoint: view.api_endpoint,
      config: JSON.stringify(view.config),
      status: view.status,
      is_default: view.is_default,
      source_updated_at: new Date(view.updated_at),
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet((eb) => ({
          type: eb.ref('excluded.type'),
          provider: eb.ref('excluded.provider'),
          name: eb.ref('excluded.name'),
          model_id: eb.ref('excluded.model_id'),
          api_endpoint: eb.ref('excluded.api_endpoint'),
          config: eb.ref('excluded.config'),
          status: eb.ref('excluded.status'),
          is_default: eb.ref('excluded.is_default'),
          source_updated_at: eb.ref('excluded.source_updated_at'),
          projected_at: sql`now()`,
        }))
        .where((eb) =>
          eb.and([
            eb('models.deleted_at', 'is', null),
            eb('models.source_updated_at', '<=', eb.ref('excluded.source_updated_at')),
          ]),
        ),
    )
    .returning('id')
    .executeTakeFirst();
  if (applied && view.is_default) await setDefault(db, view.type, view.id);
  return Boolean(applied);
}

export async function markDeleted(db: Db, id: string, at: Date): Promise<void> {
  await db
    .updateTable('models')
    .set({ deleted_at: at, is_default: false, projected_at: sql`now()` })
    .where('id', '=', id)
    .execute();
}

export async function setDefault(db: Db, type: ModelType, modelId: string): Promise<void> {
  await db
    .updateTable('models')
    .set({ is_default: sql<boolean>`id = ${modelId}` })
    .where('type', '=', type)
    .where('deleted_at', 'is', null)
    .execute();
}
