/**
 * Per-KB access: grants to users or groups (READ < WRITE < ADMIN), the creator is ADMIN,
 * group grants apply through the group ids in the caller's token, and platform
 * administrators (level 3) have ADMIN on every KB. A KB the caller cannot read does not
 * exist for them (404), so its name never leaks.
 */
import type { AccessTokenClaims } from '@lumikb/contracts';
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { KbPermissionLevel, KnowledgeBaseDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';

export const PERMISSION_RANK: Record<KbPermissionLevel, number> = { READ: 1, WRITE: 2, ADMIN: 3 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isPlatformAdmin(claims: AccessTokenClaims): boolean {
  return (claims.lvl ?? 0) >= 3;
}

/** The user id and group ids a caller's grants can be attached to. */
export function principalsOf(claims: AccessTokenClaims): { userId: string | null; groupIds: string[] } {
  return {
    userId: UUID.test(claims.sub) ? claims.sub.toLowerCase() : null,
    groupIds: (claims.groups ?? []).filter((g) => UUID.test(g)).map((g) => g.toLowerCase()),
  };
}

type PermissionsEb = ExpressionBuilder<KnowledgeBaseDatabase, 'kb_permissions'>;

/** Grants that apply to the caller (their own and their groups'). */
export function grantsOfCaller(eb: PermissionsEb, claims: AccessTokenClaims): Expression<SqlBool> {
  const { userId, groupIds } = principalsOf(claims);
  const ors: Expression<SqlBool>[] = [];
  if (userId)
    ors.push(
      eb.and([eb('kb_permissions.principal_type', '=', 'user'), eb('kb_permissions.principal_id', '=', userId)]),
    );
  if (groupIds.length > 0) {
    ors.push(
      eb.and([eb('kb_permissions.principal_type', '=', 'group'), eb('kb_permissions.principal_id', 'in', groupIds)]),
    );
  }
  return ors.length > 0 ? eb.or(ors) : eb.val(false);
}

/** Highest level granted to the caller per KB (platform admins: ADMIN everywhere). */
export async function permissionsOf(
  db: Kysely<KnowledgeBaseDatabase>,
  kbIds: string[],
  claims: AccessTokenClaims,
): Promise<Map<string, KbPermissionLevel>> {
  const result = new Map<string, KbPermissionLevel>();
  if (kbIds.length === 0) return result;
  if (isPlatformAdmin(claims)) {
    for (const id of kbIds) result.set(id, 'ADMIN');
    return result;
  }
  const rows = await db
    .selectFrom('kb_permissions')
    .select(['kb_id', 'permission'])
    .where('kb_id', 'in', kbIds)
    .where((eb) => grantsOfCaller(eb, claims))
    .execute();
  for (const row of rows) {
    const held = result.get(row.kb_id);
    if (!held || PERMISSION_RANK[row.permission] > PERMISSION_RANK[held]) result.set(row.kb_id, row.permission);
  }
  return result;
}

export async function permissionOf(
  db: Kysely<KnowledgeBaseDatabase>,
  kbId: string,
  claims: AccessTokenClaims,
): Promise<KbPermissionLevel | undefined> {
  return (await permissionsOf(db, [kbId], claims)).get(kbId);
}

/**
 * Throws KB_NOT_FOUND when the KB does not exist or the caller cannot read it, and
 * KB_PERMISSION_DENIED when they can read it but need more.
 */
export async function requirePermission(
  db: Kysely<KnowledgeBaseDatabase>,
  kbId: string,
  claims: AccessTokenClaims,
  needed: KbPermissionLevel,
): Promise<KbPermissionLevel> {
  const exists = await db.selectFrom('knowledge_bases').select('id').where('id', '=', kbId).executeTakeFirst();
  const held = exists ? await permissionOf(db, kbId, claims) : undefined;
  if (!held) throw errors.KB_NOT_FOUND(`Knowledge base ${kbId} not found`, { kb_id: kbId });
  if (PERMISSION_RANK[held] < PERMISSION_RANK[needed]) {
    throw errors.KB_PERMISSION_DENIED(
      `This action needs ${needed} permission on the knowledge base; you have ${held}`,
      {
        kb_id: kbId,
        required: needed,
        held,
      },
    );
  }
  return held;
}
