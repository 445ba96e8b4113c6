import type { MigrationSet } from '@lumikb/db';
import * as init from './0001-init.ts';
import * as identity from './0002-identity.ts';
import * as loginAttempts from './0003-login-attempts.ts';

/** Ordered by name; never rename or edit a migration that has shipped. */
export const migrations: MigrationSet = {
  '0001-init': init,
  '0002-identity': identity,
  '0003-login-attempts': loginAttempts,
};
