/**
 * Every service's migrations in this one process (`pnpm start`, `pnpm migrate`): one
 * start-up instead of one `pnpm run migrate` per service. Each service with a schema keeps
 * its `SCHEMA` in src/db/database.ts and its migrations in src/db/migrations/index.ts, the
 * same modules the service migrates itself from at start.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type MigrationSet, migrateToLatest } from '@lumikb/db';
import pg from 'pg';
import { SERVICES } from './services.ts';

export interface SchemaMigrated {
  service: string;
  schema: string;
  applied: string[];
  ms: number;
}

async function schemaOf(root: string, service: string): Promise<string> {
  const url = pathToFileURL(join(root, 'services', service, 'src', 'db', 'database.ts')).href;
  return ((await import(url)) as { SCHEMA: string }).SCHEMA;
}

/**
 * Services whose schema was migrated before (it has Kysely's migration table). Such a
 * service may start while `migrateAll` runs: both take Kysely's migration lock, so they
 * never apply a step twice. A schema that does not exist yet must be created by one
 * process alone (two concurrent `create schema if not exists` can collide).
 */
export async function servicesWithMigratedSchema(root: string, databaseUrl: string): Promise<Set<string>> {
  const owners = SERVICES.filter((s) => s.hasSchema);
  const schemas = await Promise.all(owners.map((s) => schemaOf(root, s.name)));
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ table_schema: string }>(
      "select table_schema from information_schema.tables where table_name = 'kysely_migration' and table_schema = any($1)",
      [schemas],
    );
    const migrated = new Set(rows.map((r) => r.table_schema));
    return new Set(owners.filter((_, i) => migrated.has(schemas[i]!)).map((s) => s.name));
  } finally {
    await client.end();
  }
}

/** Migrates every schema (concurrently: they share nothing); throws naming the first that failed. */
export async function migrateAll(root: string, databaseUrl: string): Promise<SchemaMigrated[]> {
  const owners = SERVICES.filter((s) => s.hasSchema);
  return Promise.all(
    owners.map(async (service): Promise<SchemaMigrated> => {
      const started = performance.now();
      const db = join(root, 'services', service.name, 'src', 'db');
      const SCHEMA = await schemaOf(root, service.name);
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
