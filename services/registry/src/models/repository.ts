/** SQL for `llm_models`. Functions take `db` or the caller's transaction. */
import type { ModelStatus, ModelType, Provider } from '@lumikb/contracts';
import { type Kysely, readSnapshot, type Selectable, sql, type Transaction, type Updateable } from '@lumikb/db';
import type { LlmModelTable, RegistryDatabase, SyncStatus } from '../db/database.ts';

export type Db = Kysely<RegistryDatabase> | Transaction<RegistryDatabase>;
export type ModelRow = Selectable<LlmModelTable>;

export interface NewModelRow {
  id: string;
  type: ModelType;
  provider: Provider;
  name: string;
  model_id: string;
  api_endpoint: string | null;
  config: Record<string, unknown>;
  status: ModelStatus;
  is_default: boolean;
  api_key_ciphertext: Buffer | null;
  api_key_key_id: string | null;
  sync_status: SyncStatus;
}

export async function insertModel(db: Db, row: NewModelRow): Promise<ModelRow> {
  return db
    .insertInto('llm_models')
    .values({ ...row, config: JSON.stringify(row.config) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findModel(
  db: Db,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<ModelRow | undefined> {
  let query = db.selectFrom('llm_models').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findDefault(db: Db, type: ModelType): Promise<ModelRow | undefined> {
  return db
    .selectFrom('llm_models')
    .selectAll()
    .where('type', '=', type)
    .where('is_default', '=', true)
    .executeTakeFirst();
}

export async function countModels(db: Db): Promise<number> {
  const row = await db
    .selectFrom('llm_models')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface ModelFilter {
  type?: ModelType | undefined;
  status?: ModelStatus | undefined;
  provider?: Provider | undefined;
  is_default?: boolean | undefined;
  q?: string | undefined;
}

/** The page and its total from one snapshot (readSnapshot): two queries on two connections
 * could disagree under concurrent writes. */
export function listModels(
  db: Db,
  filter: ModelFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: ModelRow[]; total: number }> {
  return readSnapshot<RegistryDatabase, { rows: ModelRow[]; total: number }>(db, (trx) =>
    pageListModels(trx, filter, page),
  );
}

async function pageListModels(
  db: Db,
  filter: ModelFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: ModelRow[]; total: number }> {
  let query = db.selectFrom('llm_models');
  if (filter.type) query = query.where('type', '=', filter.type);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.provider) query = query.where('provider', '=', filter.provider);
  if (filter.is_default !== undefined) query = query.where('is_default', '=', filter.is_default);
  if (filter.q) {
    const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('name', 'ilike', like), eb('model_id', 'ilike', like)]));
  }
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('type')
      .orderBy('is_default', 'desc')
      .orderBy(sql`lower(name)`)
      .orderBy('id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

export async function listByStatus(db: Db, status: ModelStatus | undefined, type?: ModelType): Promise<ModelRow[]> {
  let query = db.selectFrom('llm_models').selectAll();
  if (status) query = query.where('status', '=', status);
  if (type) query = query.where('type', '=', type);
  return query.orderBy('type').orderBy('is_default', 'desc').orderBy(sql`lower(name)`).execute();
}

export type ModelPatch = Omit<Updateable<LlmModelTable>, 'config' | 'id'> & { config?: Record<string, unknown> };

export async function updateModel(db: Db, id: string, patch: ModelPatch): Promise<ModelRow> {
  const { config, ...rest } = patch;
  return db
    .updateTable('llm_models')
    .set({ ...rest, ...(config !== undefined ? { config: JSON.stringify(config) } : {}) })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteModel(db: Db, id: string): Promise<void> {
  await db.deleteFrom('llm_models').where('id', '=', id).execute();
}

export async function setDefaultFlag(db: Db, type: ModelType, id: string): Promise<ModelRow> {
  // Clear first: the partial unique index allows one default per type at any moment.
  await db
    .updateTable('llm_models')
    .set({ is_default: false })
    .where('type', '=', type)
    .where('is_default', '=', true)
    .where('id', '!=', id)
    .execute();
  return db
    .updateTable('llm_models')
    .set({ is_default: true })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Serialises everything that changes which model is the default of a type. */
export async function lockDefaults(trx: Transaction<RegistryDatabase>, type: ModelType): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`registry.default.${type}`}))`.execute(trx);
}

export interface TestResultRow {
  tested_at: Date;
  success: boolean;
  latency_ms: number;
  message: string;
}

/** Connection-test state is not a configuration change: updated_at stays. */
export async function recordTestResult(db: Db, id: string, result: TestResultRow): Promise<void> {
  await db
    .updateTable('llm_models')
    .set({
      last_tested_at: result.tested_at,
      last_test_success: result.success,
      last_test_latency_ms: result.latency_ms,
      last_test_message: result.message.slice(0, 2_000),
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Applies a proxy-sync report, unless the model changed after the sync happened (a newer
 * sync of the newer revision will follow).
 */
export async function recordSyncResult(
  db: Db,
  id: string,
  result: { status: 'synced' | 'failed'; at: Date; error: string | null },
): Promise<boolean> {
  const updated = await db
    .updateTable('llm_models')
    .set({
      sync_status: result.status,
      sync_error: result.error,
      ...(result.status === 'synced' ? { synced_at: result.at } : {}),
    })
    .where('id', '=', id)
    .where('updated_at', '<=', result.at)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Rows whose key was written with another key than the current one (for re-encryption). */
export async function rowsWithOldKeys(db: Db, currentKeyId: string) {
  return db
    .selectFrom('llm_models')
    .select(['id', 'api_key_ciphertext', 'api_key_key_id'])
    .where('api_key_key_id', 'is not', null)
    .where('api_key_key_id', '!=', currentKeyId)
    .execute();
}

export async function replaceCiphertext(
  db: Db,
  id: string,
  expectedKeyId: string,
  sealed: { ciphertext: Buffer; keyId: string },
): Promise<void> {
  await db
    .updateTable('llm_models')
    .set({ api_key_ciphertext: sealed.ciphertext, api_key_key_id: sealed.keyId })
    .where('id', '=', id)
    .where('api_key_key_id', '=', expectedKeyId)
    .execute();
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && e.constraint === constraint;
}
