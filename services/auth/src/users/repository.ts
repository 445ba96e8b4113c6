/** SQL for users and their group memberships. Rows map to camelCase objects here only. */
import { type Kysely, readSnapshot, type Selectable, sql } from '@lumikb/db';
import type { AuthDatabase, UserTable } from '../db/database.ts';

type Db = Kysely<AuthDatabase>;

export interface User {
  id: string;
  email: string;
  name: string;
  isActive: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
  passwordChangedAt: Date;
  tokensValidAfter: Date;
}

export interface UserWithSecret extends User {
  passwordHash: string;
}

export interface GroupRef {
  id: string;
  name: string;
  permissionLevel: number;
  isSystem: boolean;
}

/** A user with their groups and effective level (MAX over the groups, 0 when none). */
export interface UserWithGroups extends User {
  groups: GroupRef[];
  level: number;
}

const USER_COLUMNS = [
  'id',
  'email',
  'name',
  'is_active',
  'created_at',
  'updated_at',
  'last_login_at',
  'password_changed_at',
  'tokens_valid_after',
] as const;

function toUser(row: Omit<Selectable<UserTable>, 'password_hash'>): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    isActive: row.is_active,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
    passwordChangedAt: row.password_changed_at,
    tokensValidAfter: row.tokens_valid_after,
  };
}

export async function findUser(db: Db, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

/** Email lookups are case-insensitive, like the unique index. */
export async function findUserByEmail(db: Db, email: string): Promise<UserWithSecret | undefined> {
  const row = await db
    .selectFrom('users')
    .select([...USER_COLUMNS, 'password_hash'])
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
  return row && { ...toUser(row), passwordHash: row.password_hash };
}

export async function findPasswordHash(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
  return row?.password_hash;
}

export async function emailTaken(db: Db, email: string, exceptId?: string): Promise<boolean> {
  let query = db.selectFrom('users').select('id').where(sql<string>`lower(email)`, '=', email.toLowerCase());
  if (exceptId) query = query.where('id', '<>', exceptId);
  return Boolean(await query.executeTakeFirst());
}

export async function insertUser(db: Db, values: { email: string; name: string; passwordHash: string }): Promise<User> {
  const row = await db
    .insertInto('users')
    .values({ email: values.email, name: values.name, password_hash: values.passwordHash })
    .returning(USER_COLUMNS)
    .executeTakeFirstOrThrow();
  return toUser(row);
}

export interface UserPatch {
  email?: string;
  name?: string;
  isActive?: boolean;
  passwordHash?: string;
  lastLoginAt?: Date;
  /** Makes auth refuse every access token of the user issued before this instant. */
  revokeTokens?: boolean;
}

export async function updateUser(db: Db, id: string, patch: UserPatch): Promise<User | undefined> {
  const row = await db
    .updateTable('users')
    .set({
      ...(patch.email !== undefined ? { email: patch.email } : {}),
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.isActive !== undefined ? { is_active: patch.isActive } : {}),
      ...(patch.passwordHash !== undefined
        ? { password_hash: patch.passwordHash, password_changed_at: sql`now()` }
        : {}),
      ...(patch.lastLoginAt !== undefined ? { last_login_at: patch.lastLoginAt } : {}),
      // The application clock, like the iat of the tokens it is compared with.
      ...(patch.revokeTokens ? { tokens_valid_after: new Date() } : {}),
      // Signing in is not an edit of the account.
      ...(Object.keys(patch).some((k) => k !== 'lastLoginAt') ? { updated_at: sql`now()` } : {}),
    })
    .where('id', '=', id)
    .returning(USER_COLUMNS)
    .executeTakeFirst();
  return row && toUser(row);
}

/** Groups of each given user (one query). */
export async function groupsOf(db: Db, userIds: readonly string[]): Promise<Map<string, GroupRef[]>> {
  const result = new Map<string, GroupRef[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return result;
  const rows = await db
    .selectFrom('user_groups as ug')
    .innerJoin('groups as g', 'g.id', 'ug.group_id')
    .select(['ug.user_id', 'g.id', 'g.name', 'g.permission_level', 'g.is_system'])
    .where('ug.user_id', 'in', userIds)
    .orderBy('g.permission_level', 'desc')
    .orderBy('g.name')
    .execute();
  for (const row of rows) {
    result
      .get(row.user_id)
      ?.push({ id: row.id, name: row.name, permissionLevel: row.permission_level, isSystem: row.is_system });
  }
  return result;
}

export const effectiveLevel = (groups: readonly GroupRef[]) =>
  groups.reduce((max, g) => Math.max(max, g.permissionLevel), 0);

export async function withGroups(db: Db, users: User[]): Promise<UserWithGroups[]> {
  const groups = await groupsOf(
    db,
    users.map((u) => u.id),
  );
  return users.map((u) => {
    const mine = groups.get(u.id) ?? [];
    return { ...u, groups: mine, level: effectiveLevel(mine) };
  });
}

export async function findUserWithGroups(db: Db, id: string): Promise<UserWithGroups | undefined> {
  const user = await findUser(db, id);
  return user && (await withGroups(db, [user]))[0];
}

export interface UserFilter {
  q?: string;
  isActive?: boolean;
  groupId?: string;
  limit: number;
  offset: number;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A page of users and their total, from one snapshot (readSnapshot). */
export function listUsers(db: Db, filter: UserFilter): Promise<{ users: User[]; total: number }> {
  return readSnapshot(db, (trx) => pageUsers(trx, filter));
}

async function pageUsers(db: Db, filter: UserFilter): Promise<{ users: User[]; total: number }> {
  let query = db.selectFrom('users');
  if (filter.q) {
    const pattern = `%${escapeLike(filter.q)}%`;
    query = query.where((eb) => eb.or([eb('email', 'ilike', pattern), eb('name', 'ilike', pattern)]));
  }
  if (filter.isActive !== undefined) query = query.where('is_active', '=', filter.isActive);
  if (filter.groupId) {
    const groupId = filter.groupId;
    query = query.where('id', 'in', (eb) =>
      eb.selectFrom('user_groups').select('user_id').where('group_id', '=', groupId),
    );
  }
  const rows = await query
    .select(USER_COLUMNS)
    .orderBy(sql`lower(email)`)
    .limit(filter.limit)
    .offset(filter.offset)
    .execute();
  const count = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { users: rows.map(toUser), total: Number(count.n) };
}

export async function addMembership(db: Db, userId: string, groupId: string): Promise<boolean> {
  const row = await db
    .insertInto('user_groups')
    .values({ user_id: userId, group_id: groupId })
    .onConflict((oc) => oc.doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return Boolean(row);
}

export async function removeMembership(db: Db, userId: string, groupId: string): Promise<boolean> {
  const row = await db
    .deleteFrom('user_groups')
    .where('user_id', '=', userId)
    .where('group_id', '=', groupId)
    .returning('user_id')
    .executeTakeFirst();
  return Boolean(row);
}

/**
 * Serialises every change that can affect who is an administrator (deactivation,
 * membership removal, group level change or deletion), so two concurrent changes cannot
 * each see the other admin and together leave none.
 */
export async function lockAdministrators(db: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('lumikb.auth.administrators'))`.execute(db);
}

export async function countActiveAdministrators(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users as u')
    .innerJoin('user_groups as ug', 'ug.user_id', 'u.id')
    .innerJoin('groups as g', 'g.id', 'ug.group_id')
    .where('u.is_active', '=', true)
    .where('g.permission_level', '=', 3)
    .select(sql<number>`count(distinct u.id)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The session facts auth checks on each of its own guarded routes. */
export async function sessionState(
  db: Db,
  id: string,
): Promise<{ isActive: boolean; tokensValidAfter: Date; level: number } | undefined> {
  const row = await db
    .selectFrom('users as u')
    .leftJoin('user_groups as ug', 'ug.user_id', 'u.id')
    .leftJoin('groups as g', 'g.id', 'ug.group_id')
    .where('u.id', '=', id)
    .groupBy(['u.id', 'u.is_active', 'u.tokens_valid_after'])
    .select(['u.is_active', 'u.tokens_valid_after', sql<number>`coalesce(max(g.permission_level), 0)`.as('level')])
    .executeTakeFirst();
  return row && { isActive: row.is_active, tokensValidAfter: row.tokens_valid_after, level: Number(row.level) };
}
