/** `pnpm migrate`: brings this service's schema to the latest version, then exits. */
import { migrateToLatest } from '@lumikb/db';
import { SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/lumikb';
try {
  const applied = await migrateToLatest(url, SCHEMA, migrations);
  process.stdout.write(`${SCHEMA}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}\n`);
} catch (error) {
  process.stderr.write(`${SCHEMA}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
