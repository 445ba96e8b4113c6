/** `pnpm migrate`: brings this service's schema to the latest version, then exits. */
import { migrateCommand } from '@lumikb/db';
import { SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';

await migrateCommand(SCHEMA, migrations);
