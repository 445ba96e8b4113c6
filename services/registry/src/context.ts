/** Everything the domain modules of the registry work with, assembled once in app.ts. */
import type { Kysely } from '@lumikb/db';
import type { EventBus } from '@lumikb/events';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { SecretBox } from './crypto/secret-box.ts';
import type { RegistryDatabase } from './db/database.ts';
import type { ModelsContext } from './models/service.ts';

/** Model and settings operations are functions over this context (or the part they use). */
export interface RegistryContext extends ModelsContext {
  db: Kysely<RegistryDatabase>;
  bus: EventBus;
  config: Config;
  logger: Logger;
  secrets: SecretBox;
}
