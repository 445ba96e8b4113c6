/** SQL of KB grants. */
import { type Kysely, readSnapshot } from '@lumikb/db';
import type { KbPermissionLevel, KnowledgeBaseDatabase } from '../db/database.ts';

type Db = Kysely<KnowledgeBaseDatabase>;

const columns = [
  'kb_permissions.kb_id',
  'kb_permissions.principal_type',
  'kb_permissions.principal_id',
  'kb_permissions.permission',
  'kb_permissions.granted_by',
  'kb_permissions.created_at',
  'kb_permissions.updated_at',
] as const;

export async function listGrants(db: Db, kbId: string) {
  return db
    .selectFrom('kb_permissions')
    .select(columns)
    .where('kb_id', '=', kbId)
    .orderBy('principal_type')
    .orderBy('created_at')
    .execute();
}

export async function findGrant(db: Db, kbId: string, principalType: 'user' | 'group', principalId: string) {
  return db
    .selectFrom('kb_permissions')
    .select(columns)
    .where('kb_id', '=', kbId)
    .where('principal_type', '=', principalType)
    .where('principal_id', '=', principalId)
    .forUpdate()
    .executeTakeFirst();
}

export async function upsertGrant(
  db: Db,
  grant: {
    kb_id: string;
    principal_type: 'user' | 'group';
    principal_id: string;
    permission: KbPermissionLevel;
    granted_by: string;
  },
) {
  return db
    .insertInto('kb_permissions')
    .values(grant)
    .onConflict((oc) =>
      oc.columns(['kb_id', 'principal_type', 'principal_id']).doUpdateSet({
        permission: grant.permission,
        granted_by: grant.granted_by,
        updated_at: new Date(),
      }),
    )
    .returning(columns)
    .executeTakeFirstOrThrow();
}

export async function deleteGrant(db: Db, kbId: string, principalType: 'user' | 'group', principalId: string) {
  await db
    .deleteFrom('kb_permissions')
    .where('kb_id', '=', kbId)
    .where('principal_type', '=', principalType)
    .where('principal_id', '=', principalId)
    .execute();
}

export async function adminCount(db: Db, kbId: string): Promise<number> {
  const row = await db
    .selectFrom('kb_permissions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kb_id', '=', kbId)
    .where('permission', '=', 'ADMIN')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

interface GrantFilter {
  principal_type?: 'user' | 'group' | undefined;
  principal_id?: string | undefined;
  kb_id?: string | undefined;
  limit: number;
  offset: number;
}

/** The page and its total from one snapshot (readSnapshot): two queries on two connections
 * could disagree under concurrent writes. */
export function listAllGrants(db: Db, filter: GrantFilter): ReturnType<typeof pageAllGrants> {
  return readSnapshot(db, (trx) => pageAllGrants(trx, filter));
}

async function pageAllGrants(db: Db, filter: GrantFilter) {
  let query = db
    .selectFrom('kb_permissions')
    .innerJoin('knowledge_bases', 'knowledge_bases.id', 'kb_permissions.kb_id');
  if (filter.principal_type) query = query.where('kb_permissions.principal_type', '=', filter.principal_type);
  if (filter.principal_id) query = query.where('kb_permissions.principal_id', '=', filter.principal_id);
  if (filter.kb_id) query = query.where('kb_permissions.kb_id', '=', filter.kb_id);
  const [rows, count] = await Promise.all([
    query
      .select([...columns, 'knowledge_bases.name as kb_name'])
      .orderBy('knowledge_bases.name')
      .orderBy('kb_permissions.principal_type')
      .orderBy('kb_permissions.principal_id')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}
