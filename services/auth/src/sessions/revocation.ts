/**
 * Revoking a user's access tokens everywhere: auth records the instant (its own guard
 * compares token iat with it) and publishes `user.sessions_revoked` through the outbox in
 * the same transaction, which every other service's token verifier follows (see
 * @lumikb/service-kit revocations.ts). Refresh tokens are revoked by the callers, who
 * know which ones.
 */
import { type RevocationReason, UserSessionsRevoked } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { type EventContext, recordEvent } from '@lumikb/events';
import type { AuthDatabase } from '../db/database.ts';
import { updateUser } from '../users/repository.ts';

export async function revokeAccessTokens(
  trx: Kysely<AuthDatabase>,
  userId: string,
  reason: RevocationReason,
  context: EventContext,
): Promise<Date> {
  const user = await updateUser(trx, userId, { revokeTokens: true });
  const revokedBefore = user?.tokensValidAfter ?? new Date();
  await recordEvent(
    trx,
    UserSessionsRevoked,
    { user_id: userId, revoked_before: revokedBefore.toISOString(), reason },
    context,
  );
  return revokedBefore;
}
