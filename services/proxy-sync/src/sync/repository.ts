/** SQL for the `models` table: desired state per model and its sync state. */
import type { ModelView } from '@lumikb/contracts';
import { type Kysely, type Selectable, sql, type Transaction } from '@lumikb/db';
import type { ModelsTable, ProxySyncDatabase, SyncState } from '../db/database.ts';
import type { DesiredModel } from './deployment.ts';

type Db = Kysely<ProxySyncDatabase> | Transaction<ProxySyncDatabase>;

export interface ModelRow {
  id: string;
  type: string;
  provider: string;
  modelId: string;
  apiEndpoint: string | null;
  config: Record<string, unknown>;
  status: string;
  modelUpdatedAt: Date | null;
  deleted: boolean;
  eventAt: Date;
  pending: boolean;
  syncState: SyncState;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  syncedAt: Date | null;
}

type Raw = Selectable<ModelsTable>;

function toRow(r: Raw): ModelRow {
  return {
    id: r.id,
    type: r.type,
    provider: r.provider,
    modelId: r.model_id,
    apiEndpoint: r.api_endpoint,
    config: r.config,
    status: r.status,
    modelUpdatedAt: r.model_updated_at,
    deleted: r.deleted,
    eventAt: r.event_at,
    pending: r.pending,
    syncState: r.sync_state,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    syncedAt: r.synced_at,
  };
}

export function desiredOf(row: ModelRow): DesiredModel {
  return {
    id: row.id,
    type: row.type,
    provider: row.provider,
    model_id: row.modelId,
    api_endpoint: row.apiEndpoint,
    config: row.config,
    status: row.status,
    deleted: row.deleted,
    version: row.modelUpdatedAt ? row.modelUpdatedAt.toISOString() : null,
  };
}

const viewColumns = (view: ModelView) => ({
  type: view.type,
  provider: view.provider,
  model_id: view.model_id,
  api_endpoint: view.api_endpoint,
  config: JSON.stringify(view.config ?? {}),
  status: view.status,
  model_updated_at: view.updated_at,
});

/** A new state for the model means a new sync: pending, attempts reset, due now. */
const freshSync = (provider: string) => ({
  pending: provider !== 'local',
  sync_state: (provider === 'local' ? 'not_applicable' : 'pending') as SyncState,
  attempts: 0,
  last_error: null,
  next_attempt_at: sql<Date>`now()`,
});

/**
 * Applies a model's view from a model.created/updated event, unless a newer event (or
 * its deletion) was applied already. Returns whether anything changed.
 */
export async function applyModelView(db: Db, view: ModelView, eventAt: string): Promise<boolean> {
  const sync = freshSync(view.provider);
  const result = await db
    .insertInto('models')
    .values({ id: view.id, ...viewColumns(view), event_at: eventAt, ...sync })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet({ ...viewColumns(view), event_at: eventAt, ...sync, updated_at: sql`now()` })
        .where('models.deleted', '=', false)
        .where('models.event_at', '<=', new Date(eventAt)),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Deletion is final, whatever order events arrive in. */
export async function markDeleted(
  db: Db,
  model: { id: string; type: string; provider: string },
  eventAt: string,
): Promise<void> {
  const sync = freshSync(model.provider);
  await db
    .insertInto('models')
    .values({ id: model.id, type: model.type, provider: model.provider, deleted: true, event_at: eventAt, ...sync })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        deleted: true,
        ...sync,
        event_at: sql`greatest(models.event_at, excluded.event_at)`,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

/**
 * Takes the registry's fresher view (listing or credentials call) into the mirror,
 * without overriding a newer one or a deletion.
 */
export async function refreshFromRegistry(db: Db, view: ModelView): Promise<void> {
  await db
    .insertInto('models')
    .values({
      id: view.id,
      ...viewColumns(view),
      event_at: sql`date_trunc('milliseconds', now())`,
      ...freshSync(view.provider),
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet({ ...viewColumns(view), updated_at: sql`now()` })
        .where('models.deleted', '=', false)
        .where((eb) =>
          eb.or([
            eb('models.model_updated_at', 'is', null),
            eb('models.model_updated_at', '<', new Date(view.updated_at)),
          ]),
        ),
    )
    .execute();
}

export async function findModel(db: Db, id: string): Promise<ModelRow | undefined> {
  const row = await db.selectFrom('models').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRow(row as Raw) : undefined;
}

export async function listModels(db: Db): Promise<ModelRow[]> {
  const rows = await db.selectFrom('models').selectAll().orderBy('updated_at', 'desc').execute();
  return rows.map((r) => toRow(r as Raw));
}

export async function dueModels(db: Db, limit: number): Promise<ModelRow[]> {
  const rows = await db
    .selectFrom('models')
    .selectAll()
    .where('pending', '=', true)
    .where('next_attempt_at', '<=', sql<Date>`now()`)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
  return rows.map((r) => toRow(r as Raw));
}

/** When the next pending model is due (undefined: nothing pending). */
export async function nextDueAt(db: Db): Promise<Date | undefined> {
  const row = await db
    .selectFrom('models')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('pending', '=', true)
    .executeTakeFirst();
  return row?.at ? new Date(row.at as unknown as string) : undefined;
}

export async function countByState(db: Db): Promise<{ pending: number; failed: number }> {
  const row = await db
    .selectFrom('models')
    .select([
      sql<number>`count(*) filter (where pending)::int`.as('pending'),
      sql<number>`count(*) filter (where sync_state = 'failed')::int`.as('failed'),
    ])
    .executeTakeFirst();
  return { pending: row?.pending ?? 0, failed: row?.failed ?? 0 };
}

/** How many models are in each sync state (for the `lumikb_proxy_sync_state` gauge). */
export async function countBySyncState(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('models')
    .select(['sync_state', sql<number>`count(*)::int`.as('n')])
    .groupBy('sync_state')
    .execute();
  const counts: Record<string, number> = { pending: 0, synced: 0, failed: 0 };
  for (const row of rows) counts[row.sync_state] = row.n;
  return counts;
}

/**
 * Records a finished sync unless the model changed meanwhile (then the newer change
 * stays pending). Returns the previous state, or undefined when superseded.
 */
export async function recordSuccess(
  db: Db,
  id: string,
  seenEventAt: Date,
  state: Extract<SyncState, 'synced' | 'removed' | 'not_applicable'>,
): Promise<SyncState | undefined> {
  const previous = await db
    .selectFrom('models')
    .select('sync_state')
    .where('id', '=', id)
    .where('event_at', '=', seenEventAt)
    .forUpdate()
    .executeTakeFirst();
  if (!previous) return undefined;
  await db
    .updateTable('models')
    .set({
      pending: false,
      sync_state: state,
      attempts: 0,
      last_error: null,
      synced_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .execute();
  return previous.sync_state;
}

export async function recordFailure(
  db: Db,
  id: string,
  error: string,
  retryInMs: number,
): Promise<{ attempts: number; previousError: string | null } | undefined> {
  const before = await db
    .selectFrom('models')
    .select(['attempts', 'last_error'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!before) return undefined;
  const attempts = before.attempts + 1;
  await db
    .updateTable('models')
    .set({
      pending: true,
      sync_state: 'failed',
      attempts,
      last_error: error,
      next_attempt_at: sql`now() + make_interval(secs => ${retryInMs / 1000})`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .execute();
  return { attempts, previousError: before.last_error };
}

/** A model the registry no longer knows (and whose deletion event we missed). */
export async function markGone(db: Db, id: string): Promise<void> {
  await db.updateTable('models').set({ deleted: true, updated_at: sql`now()` }).where('id', '=', id).execute();
}

/** Makes every model due now (a forced reconcile, or the proxy coming back). */
export async function makeAllDue(db: Db): Promise<void> {
  await db.updateTable('models').set({ next_attempt_at: sql`now()` }).where('pending', '=', true).execute();
}
