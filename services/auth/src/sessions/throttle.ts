/**
 * Sign-in throttling, counted before the password is checked (see docs/security.md,
 * "Login throttling and lockout").
 *
 * Each attempt takes an ordinal from atomic Postgres counters, so concurrent guesses
 * cannot all slip past a check-then-record race, and every auth replica agrees. The
 * lock falls on the pair (client address, account), not on the account: an attacker
 * guessing from their address locks out only themselves. Behind that:
 * - per address, across accounts (spraying one password over many accounts), and the
 *   live `rate_limits.login_attempts_per_minute` setting (every attempt, right or wrong);
 * - per account, a high ceiling against guessing spread over many addresses, which never
 *   applies to an address the user has signed in from before, so it cannot lock them out.
 * A pair that is already throttled adds nothing to the wider counters: hammering from one
 * address cannot push an account over its ceiling.
 */
import type { Kysely } from '@lumikb/db';
import type { AuthDatabase } from '../db/database.ts';
import * as repo from './repository.ts';

type Db = Kysely<AuthDatabase>;

export interface ThrottleLimits {
  perAccountAndIp: number;
  perIp: number;
  perAccount: number;
  windowSeconds: number;
  /** Every attempt from one address per minute (the live setting). */
  perIpPerMinute: number;
}

export type ThrottleScope = repo.AttemptKey['scope'];

export interface Attempt {
  email: string;
  ip: string;
  /** The account's id when the email is known (lets a known address pass the account ceiling). */
  userId?: string;
}

export type Admission =
  | { admitted: true; counted: repo.AttemptKey[] }
  | { admitted: false; scope: ThrottleScope; retryAfterSeconds: number };

const keysOf = (attempt: Attempt) => ({
  pair: { scope: 'account_ip', key: `${attempt.ip}|${attempt.email}` } as const,
  minute: { scope: 'ip_minute', key: attempt.ip } as const,
  ip: { scope: 'ip', key: attempt.ip } as const,
  account: { scope: 'account', key: attempt.email } as const,
});

/** Counts the attempt and says whether its password may be checked. */
export async function admitAttempt(db: Db, limits: ThrottleLimits, attempt: Attempt): Promise<Admission> {
  const keys = keysOf(attempt);
  const refuse = (scope: ThrottleScope, retryAfterSeconds: number): Admission => ({
    admitted: false,
    scope,
    retryAfterSeconds,
  });
  const pair = await repo.countAttempt(db, keys.pair, limits.windowSeconds);
  if (pair.attempts > limits.perAccountAndIp) return refuse('account_ip', pair.retryAfterSeconds);
  const minute = await repo.countAttempt(db, keys.minute, 60);
  if (minute.attempts > limits.perIpPerMinute) return refuse('ip_minute', minute.retryAfterSeconds);
  const ip = await repo.countAttempt(db, keys.ip, limits.windowSeconds);
  if (ip.attempts > limits.perIp) return refuse('ip', ip.retryAfterSeconds);
  const account = await repo.countAttempt(db, keys.account, limits.windowSeconds);
  if (account.attempts > limits.perAccount) {
    const known = attempt.userId ? await repo.signedInFrom(db, attempt.userId, attempt.ip) : false;
    if (!known) return refuse('account', account.retryAfterSeconds);
  }
  // Now and then, drop counters whose window is long over.
  if (Math.random() < 0.02) await repo.forgetOldAttempts(db, limits.windowSeconds * 2);
  return { admitted: true, counted: [keys.pair, keys.ip, keys.account] };
}

/**
 * The password was right: the pair starts afresh and the attempt is taken back from the
 * wider failure counters (the per-minute count stays: it counts attempts, not failures).
 */
export async function settleSuccess(db: Db, attempt: Attempt): Promise<void> {
  const keys = keysOf(attempt);
  await repo.clearAttempts(db, keys.pair);
  await repo.uncountAttempt(db, keys.ip);
  await repo.uncountAttempt(db, keys.account);
}
