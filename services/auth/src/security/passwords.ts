/**
 * Password hashing with scrypt (memory-hard, in node:crypto, no native build) and the
 * strength rule every new password must meet.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { COMMON_PASSWORDS_CHECKED } from './common-passwords.ts';

/** OWASP's scrypt setting N=2^15, r=8, p=3: 32 MiB per hash, run on libuv's thread pool. */
const STANDARD = { N: 2 ** 15, r: 8, p: 3 } as const;
/**
 * For test suites only (`PASSWORD_HASH_COST=test`): N=2^10, r=8, p=1, about 1/100 of the
 * CPU (a standard hash costs ~0.2–0.3 s of CPU here, and the suites sign in hundreds of
 * times). The same code path; the parameters travel with each hash, so hashes made with
 * it verify anywhere and are re-hashed at standard cost on the next sign-in with it off.
 */
const TEST_ONLY = { N: 2 ** 10, r: 8, p: 1 } as const;
export type PasswordHashCost = 'standard' | 'test';
let PARAMS: { N: number; r: number; p: number } = STANDARD;
/** Set once at start-up from the service's config. */
export function usePasswordHashCost(cost: PasswordHashCost): void {
  PARAMS = cost === 'test' ? TEST_ONLY : STANDARD;
}
const KEY_LENGTH = 32;
const MAX_MEM = 128 * STANDARD.N * STANDARD.r * 2;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: Math.max(MAX_MEM, 128 * params.N * params.r * 2) };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$<salt b64>$<hash b64>`: parameters travel with the hash so they can grow later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** True when the hash was made with weaker parameters than today's (re-hash on next login). */
export function needsRehash(stored: string): boolean {
  const [, n, r, p] = stored.split('$');
  // Only ever upwards: a stronger hash (a future setting, or standard while at test cost) stays.
  return Number(n) < PARAMS.N || Number(r) < PARAMS.r || Number(p) < PARAMS.p;
}

let dummy: Promise<string> | undefined;
/**
 * A hash to verify against when the email is unknown, so an unknown email costs as much
 * time as a wrong password and response times do not reveal which accounts exist.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(18).toString('base64'));
  return dummy;
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
export const PASSWORD_RULE =
  `at least ${PASSWORD_MIN_LENGTH} characters (at most ${PASSWORD_MAX_LENGTH}), ` +
  'with at least one letter and at least one digit or symbol, not containing the email address, ' +
  `and not one of the ${COMMON_PASSWORDS_CHECKED.toLocaleString('en')} most common passwords ` +
  '(ignoring case and leading or trailing digits and symbols)';

/** Returns why the password is too weak, or undefined when it meets PASSWORD_RULE. */
export function passwordWeakness(password: string, email?: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `is shorter than ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `is longer than ${PASSWORD_MAX_LENGTH} characters`;
  if (!/\p{L}/u.test(password)) return 'has no letter';
  if (!/[^\p{L}]/u.test(password)) return 'has no digit or symbol';
  if (email) {
    const lower = password.toLowerCase();
    const local = email.toLowerCase().split('@')[0] ?? '';
    if (lower.includes(email.toLowerCase()) || (local.length >= 4 && lower.includes(local))) {
      return 'contains the email address';
    }
  }
  return undefined;
}

/** A strong random password (first administrator when none is configured). */
export function generatePassword(): string {
  // 24 base64url characters = 144 bits; the suffix guarantees the strength rule.
  return `${randomBytes(18).toString('base64url')}-7a`;
}
