/** Everything the domain modules of the auth service work with, assembled once in app.ts. */
import type { Kysely } from '@lumikb/db';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { AuthDatabase } from './db/database.ts';
import type { TokenIssuer } from './security/tokens.ts';

export interface AuthContext {
  db: Kysely<AuthDatabase>;
  config: Config;
  logger: Logger;
  issuer: TokenIssuer;
  /** The live settings this service obeys. */
  loginAttemptsPerMinute: () => number;
  sessionTimeoutMinutes: () => number;
}
