/** SQL for groups and their members. */
import { type Kysely, type Selectable, sql } from '@lumikb/db';
import type { ExpressionBuilder } from 'kysely';
import type { AuthDatabase, GroupTable } from '../db/database.ts';

type Db = Kysely<AuthDatabase>;

export interface Group {
  id: string;
  name: string;
  description: string;
  permissionLevel: number;
  isSystem: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface GroupWithCount extends Group {
  memberCount: number;
}

const GROUP_COLUMNS = [
  'id',
  'name',
  'description',
  'permission_level',
  'is_system',
  'created_at',
  'updated_at',
] as const;

function toGroup(row: Selectable<GroupTable>): Group {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissionLevel: row.permission_level,
    isSystem: row.is_system,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// Built with the query builder (not raw SQL) so the table is qualified with the service's schema.
const memberCount = (eb: ExpressionBuilder<AuthDatabase, 'groups'>) =>
  eb
    .selectFrom('user_groups')
    .select((sub) => sub.fn.countAll<number>().as('n'))
    .whereRef('user_groups.group_id', '=', 'groups.id')
    .as('member_count');

export async function listGroups(db: Db): Promise<GroupWithCount[]> {
  const rows = await db
    .selectFrom('groups')
    .select([...GROUP_COLUMNS, memberCount])
    .orderBy('permission_level', 'desc')
    .orderBy(sql`lower(name)`)
    .execute();
  return rows.map((r) => ({ ...toGroup(r), memberCount: Number(r.member_count) }));
}

export async function findGroup(db: Db, id: string): Promise<GroupWithCount | undefined> {
  const row = await db
    .selectFrom('groups')
    .select([...GROUP_COLUMNS, memberCount])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { ...toGroup(row), memberCount: Number(row.member_count) };
}

export async function findGroupsByIds(db: Db, ids: readonly string[]): Promise<Group[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('groups').select(GROUP_COLUMNS).where('id', 'in', ids).execute();
  return rows.map(toGroup);
}

export async function groupNameTaken(db: Db, name: string, exceptId?: string): Promise<boolean> {
  let query = db.selectFrom('groups').select('id').where(sql<string>`lower(name)`, '=', name.toLowerCase());
  if (exceptId) query = query.where('id', '<>', exceptId);
  return Boolean(await query.executeTakeFirst());
}

export async function insertGroup(
  db: Db,
  values: { name: string; description: string; permissionLevel: number },
): Promise<Group> {
  const row = await db
    .insertInto('groups')
    .values({ name: values.name, description: values.description, permission_level: values.permissionLevel })
    .returning(GROUP_COLUMNS)
    .executeTakeFirstOrThrow();
  return toGroup(row);
}

export async function updateGroup(
  db: Db,
  id: string,
  patch: { name?: string; description?: string; permissionLevel?: number },
): Promise<void> {
  await db
    .updateTable('groups')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.permissionLevel !== undefined ? { permission_level: patch.permissionLevel } : {}),
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteGroup(db: Db, id: string): Promise<void> {
  await db.deleteFrom('groups').where('id', '=', id).execute();
}

export async function memberIds(db: Db, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom('user_groups').select('user_id').where('group_id', '=', groupId).execute();
  return rows.map((r) => r.user_id);
}

export async function isMember(db: Db, groupId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('user_groups')
    .select('user_id')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Boolean(row);
}
