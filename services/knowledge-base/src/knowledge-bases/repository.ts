/** SQL of knowledge bases. */
import type { AccessTokenClaims, DocumentStatus } from '@lumikb/contracts';
import { type Kysely, readSnapshot, sql } from '@lumikb/db';
import type { KnowledgeBaseDatabase, KnowledgeBaseTable } from '../db/database.ts';
import { grantsOfCaller, isPlatformAdmin } from '../permissions/service.ts';

type Db = Kysely<KnowledgeBaseDatabase>;

export interface KnowledgeBaseRow {
  id: string;
  name: string;
  description: string;
  embedding_model_id: string;
  generation_model_id: string;
  config_overrides: Record<string, unknown>;
  collection: string;
  dimensions: number;
  distance_metric: KnowledgeBaseTable['distance_metric'];
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

const columns = [
  'id',
  'name',
  'description',
  'embedding_model_id',
  'generation_model_id',
  'config_overrides',
  'collection',
  'dimensions',
  'distance_metric',
  'created_by',
  'created_at',
  'updated_at',
] as const;

export async function insertKb(
  db: Db,
  kb: Omit<KnowledgeBaseRow, 'created_at' | 'updated_at'>,
): Promise<KnowledgeBaseRow> {
  return db
    .insertInto('knowledge_bases')
    .values({ ...kb, config_overrides: JSON.stringify(kb.config_overrides) })
    .returning(columns)
    .executeTakeFirstOrThrow();
}

export async function findKb(
  db: Db,
  id: string,
  options: { forUpdate?: boolean; forShare?: boolean } = {},
): Promise<KnowledgeBaseRow | undefined> {
  let query = db.selectFrom('knowledge_bases').select(columns).where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  else if (options.forShare) query = query.forShare();
  return query.executeTakeFirst();
}

export async function findKbs(db: Db, ids: string[]): Promise<KnowledgeBaseRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('knowledge_bases').select(columns).where('id', 'in', ids).execute();
}

/** KBs the caller can read (all of them for platform admins), newest first. */
/** The page and its total from one snapshot (readSnapshot): two queries on two connections
 * could disagree under concurrent writes. */
export function listReadableKbs(
  db: Db,
  claims: AccessTokenClaims,
  page: { limit: number; offset: number; q?: string | undefined },
): Promise<{ rows: KnowledgeBaseRow[]; total: number }> {
  return readSnapshot(db, (trx) => pageListReadableKbs(trx, claims, page));
}

async function pageListReadableKbs(
  db: Db,
  claims: AccessTokenClaims,
  page: { limit: number; offset: number; q?: string | undefined },
): Promise<{ rows: KnowledgeBaseRow[]; total: number }> {
  let query = db.selectFrom('knowledge_bases');
  if (!isPlatformAdmin(claims)) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('kb_permissions')
          .select(sql`1`.as('one'))
          .whereRef('kb_permissions.kb_id', '=', 'knowledge_bases.id')
          .where((inner) => grantsOfCaller(inner, claims)),
      ),
    );
  }
  if (page.q) query = query.where('name', 'ilike', `%${page.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const [rows, count] = await Promise.all([
    query.select(columns).orderBy('created_at', 'desc').orderBy('id').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

/** Ids of every KB the caller can read. */
export async function readableKbIds(db: Db, claims: AccessTokenClaims): Promise<string[]> {
  let query = db.selectFrom('knowledge_bases').select('id');
  if (!isPlatformAdmin(claims)) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('kb_permissions')
          .select(sql`1`.as('one'))
          .whereRef('kb_permissions.kb_id', '=', 'knowledge_bases.id')
          .where((inner) => grantsOfCaller(inner, claims)),
      ),
    );
  }
  return (await query.execute()).map((r) => r.id);
}

export async function updateKb(
  db: Db,
  id: string,
  changes: Partial<
    Pick<
      KnowledgeBaseRow,
      | 'name'
      | 'description'
      | 'embedding_model_id'
      | 'generation_model_id'
      | 'config_overrides'
      | 'dimensions'
      | 'distance_metric'
    >
  >,
): Promise<KnowledgeBaseRow> {
  const { config_overrides, ...rest } = changes;
  return db
    .updateTable('knowledge_bases')
    .set({
      ...rest,
      ...(config_overrides !== undefined ? { config_overrides: JSON.stringify(config_overrides) } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returning(columns)
    .executeTakeFirstOrThrow();
}

export async function deleteKb(db: Db, id: string): Promise<void> {
  await db.deleteFrom('knowledge_bases').where('id', '=', id).execute();
}

export type DocumentCounts = Record<DocumentStatus, number> & { total: number };

export const emptyCounts = (): DocumentCounts => ({ total: 0, PENDING: 0, PROCESSING: 0, READY: 0, FAILED: 0 });

export async function documentCounts(db: Db, kbIds: string[]): Promise<Map<string, DocumentCounts>> {
  const result = new Map<string, DocumentCounts>(kbIds.map((id) => [id, emptyCounts()]));
  if (kbIds.length === 0) return result;
  const rows = await db
    .selectFrom('documents')
    .select(['kb_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('kb_id', 'in', kbIds)
    .groupBy(['kb_id', 'status'])
    .execute();
  for (const row of rows) {
    const counts = result.get(row.kb_id) ?? emptyCounts();
    counts[row.status] = Number(row.n);
    counts.total += Number(row.n);
    result.set(row.kb_id, counts);
  }
  return result;
}

/**
 * Serialises, per KB, the transactions that publish its document count (until they
 * commit), without blocking uploads to other KBs or readers.
 */
export async function lockDocumentCount(trx: Db, kbId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`kb-document-count:${kbId}`}, 0))`.execute(trx);
}

/**
 * Documents whose vectors are in the KB's collection: READY, or PROCESSING (writing them
 * now). PENDING and FAILED documents have none (a failed attempt's vectors are removed),
 * so they do not tie the KB to its embedding model.
 */
export const EMBEDDED_STATUSES = ['READY', 'PROCESSING'] as const satisfies readonly DocumentStatus[];

export function embeddedOf(counts: DocumentCounts): number {
  return EMBEDDED_STATUSES.reduce((n, status) => n + counts[status], 0);
}

export async function embeddedDocumentCount(db: Db, kbId: string): Promise<number> {
  const row = await db
    .selectFrom('documents')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kb_id', '=', kbId)
    .where('status', 'in', EMBEDDED_STATUSES)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function documentCount(db: Db, kbId: string): Promise<number> {
  const row = await db
    .selectFrom('documents')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kb_id', '=', kbId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
