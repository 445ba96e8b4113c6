/**
 * Passwords that appear at the top of leaked-password lists, and the same with a
 * predictable decoration ("Password123!", "!!summer2024"), are the first an attacker
 * tries. The list is the top of zxcvbn-ts's `passwords-common` (@zxcvbn-ts/language-common,
 * MIT; compiled from public breach corpora, most frequent first).
 */
import { dictionary } from '@zxcvbn-ts/language-common';

/** How many of the most frequent entries are refused. */
export const COMMON_PASSWORDS_CHECKED = 10_000;
/** A stripped base shorter than this is too short to call the password common. */
const MIN_BASE_LENGTH = 4;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].slice(0, COMMON_PASSWORDS_CHECKED).map((p) => p.toLowerCase()));
  return common;
}

/** Digits and symbols people put before or after a word to pass a composition rule. */
const DECORATION = /^[^\p{L}]+|[^\p{L}]+$/gu;

/** True when the password, ignoring case and leading/trailing digits or symbols, is a common one. */
export function isCommonPassword(password: string): boolean {
  const lower = password.normalize('NFKC').toLowerCase();
  const list = commonPasswords();
  if (list.has(lower)) return true;
  const base = lower.replace(DECORATION, '');
  return base.length >= MIN_BASE_LENGTH && base !== lower && list.has(base);
}
