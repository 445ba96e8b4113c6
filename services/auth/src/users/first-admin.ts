/**
 * The first administrator. On a start with no active administrator, the account named
 * by LUMIKB_ADMIN_EMAIL is created (or restored) in Administrators with
 * LUMIKB_ADMIN_PASSWORD — or, when that is unset, with a generated password printed
 * once in the log. There is never a fixed default password.
 */
import { DEFAULT_GROUPS, SYSTEM_ACTOR, UserUpdated } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { recordEvent } from '@lumikb/events';
import { REDACTED } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import { audit } from '../audit/record.ts';
import type { AuthDatabase } from '../db/database.ts';
import { isCommonPassword } from '../security/common-passwords.ts';
import { generatePassword, hashPassword, PASSWORD_RULE, passwordWeakness } from '../security/passwords.ts';
import { revokeAllOfUser } from '../sessions/repository.ts';
import * as repo from './repository.ts';
import { auditValueOf, toUserSummary } from './schemas.ts';
import { insertNewUser } from './service.ts';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export async function ensureFirstAdmin(
  db: Kysely<AuthDatabase>,
  settings: { email: string; password?: string | undefined },
  logger: Logger,
): Promise<{ created: boolean; email?: string }> {
  const email = settings.email.trim();
  if (!EMAIL.test(email)) throw new Error(`LUMIKB_ADMIN_EMAIL=${JSON.stringify(email)} is not an email address`);
  if (settings.password !== undefined) {
    const why = passwordWeakness(settings.password, email);
    if (why) throw new Error(`LUMIKB_ADMIN_PASSWORD ${why}. Rule: ${PASSWORD_RULE}`);
    if (isCommonPassword(settings.password))
      throw new Error('LUMIKB_ADMIN_PASSWORD is one of the most common passwords');
  }
  // Cheap check first: on every start but the first, there is nothing to do.
  if ((await repo.countActiveAdministrators(db)) > 0) return { created: false };

  const generated = settings.password === undefined;
  const password = settings.password ?? generatePassword();
  const passwordHash = await hashPassword(password);
  const context = { actor: SYSTEM_ACTOR };
  const outcome = await db.transaction().execute(async (trx) => {
    // Replicas starting together: one creates, the others find the administrator.
    await repo.lockAdministrators(trx);
    if ((await repo.countActiveAdministrators(trx)) > 0) return undefined;
    const existing = await repo.findUserByEmail(trx, email);
    if (!existing) {
      await insertNewUser(
        trx,
        { email, name: 'Administrator', groupIds: [DEFAULT_GROUPS.ADMINISTRATORS.id] },
        passwordHash,
        context,
        'user.bootstrap_admin',
      );
      return 'created' as const;
    }
    // The account exists but is no active administrator (e.g. a restored database):
    // restore it, with the configured or a new password, ending its old sessions.
    const before = (await repo.findUserWithGroups(trx, existing.id))!;
    await repo.updateUser(trx, existing.id, { isActive: true, passwordHash, revokeTokens: true });
    await repo.addMembership(trx, existing.id, DEFAULT_GROUPS.USERS.id);
    await repo.addMembership(trx, existing.id, DEFAULT_GROUPS.ADMINISTRATORS.id);
    await revokeAllOfUser(trx, existing.id, 'bootstrap_admin');
    const after = (await repo.findUserWithGroups(trx, existing.id))!;
    await recordEvent(
      trx,
      UserUpdated,
      {
        user: toUserSummary(after),
        changed_fields: ['is_active', 'password', 'groups'],
        sessions_revoked_at: after.tokensValidAfter.toISOString(),
      },
      context,
    );
    await audit(
      trx,
      {
        action: 'user.bootstrap_admin',
        resourceType: 'user',
        resourceId: after.id,
        oldValue: auditValueOf(before),
        newValue: { ...auditValueOf(after), password: REDACTED },
      },
      context,
    );
    return 'restored' as const;
  });
  if (!outcome) return { created: false };

  const what = outcome === 'created' ? 'created' : 'restored (it existed but was no active administrator)';
  if (generated) {
    // The one secret LumiKB ever writes to a log, on purpose, once.
    logger.warn(
      `*** FIRST ADMINISTRATOR ${what.toUpperCase()} *** sign in as ${email} with the generated password ` +
        `${password} — it is shown only this once; change it after signing in ` +
        '(or set LUMIKB_ADMIN_PASSWORD before the first start) ***',
    );
  } else {
    logger.info({ email }, `first administrator ${what} from LUMIKB_ADMIN_EMAIL/LUMIKB_ADMIN_PASSWORD`);
  }
  return { created: true, email };
}
