/** `pnpm migrate`: creates the database if needed, then migrates every service's schema (one process). */
import { ensureDatabaseExists } from '@lumikb/db';
import { describeMigrated, migrateAll } from './lib/migrations.ts';
import { ROOT } from './lib/stack.ts';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/lumikb';
try {
  if (await ensureDatabaseExists(url)) process.stdout.write('created the database\n');
} catch (error) {
  process.stderr.write(`cannot reach PostgreSQL: ${(error as Error).message}\n`);
  process.exit(1);
}
try {
  for (const migrated of await migrateAll(ROOT, url)) process.stdout.write(`${describeMigrated(migrated)}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
