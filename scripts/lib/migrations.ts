/**
 * Every service's migrations in this one process (`pnpm start`, `pnpm migrate`): one
 * start-up instead of one `pnpm run migrate` per service. Each service with a schema keeps
 * its `SCHEMA` in src/db/database.ts and its migrations in src/db/migrations/index.ts, the
 * same modules the service migrates itself from at start.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type MigrationSet, migrateToLatest } from '@lumikb/db';
import { SERVICES } from './services.ts';

export interface SchemaMigrated {
  service: string;
  schema: string;
  applied: string[];
  ms: number;
}

/** Migrates every schema (concurrently: they share nothing); throws naming the first that failed. */
export async function migrateAll(root: string, databaseUrl: string): Promise<SchemaMigrated[]> {
  const owners = SERVICES.filter((s) => s.hasSchema);
  return Promise.all(
    owners.map(async (service): Promise<SchemaMigrated> => {
      const started = performance.now();
      const db = join(root, 'services', service.name, 'src', 'db');
      const { SCHEMA } = (await import(pathToFileURL(join(db, 'database.ts')).href)) as { SCHEMA: string };
      const { migrations } = (await import(pathToFileURL(join(db, 'migrations', 'index.ts')).href)) as {
        migrations: MigrationSet;
      };
      const applied = await migrateToLatest(databaseUrl, SCHEMA, migrations);
      return { service: service.name, schema: SCHEMA, applied, ms: performance.now() - started };
    }),
  );
}

/** `auth: up to date (40 ms)` / `kb: applied 0003_x, 0004_y (120 ms)`. */
export function describeMigrated(m: SchemaMigrated): string {
  const what = m.applied.length > 0 ? `applied ${m.applied.join(', ')}` : 'up to date';
  return `${m.schema}: ${what} (${Math.round(m.ms)} ms)`;
}
