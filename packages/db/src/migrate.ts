/**
 * Runs a service's migrations inside its own schema. Migrations are plain objects
 * (imported statically, so bundled services carry them) that take `Kysely<any>`.
 */
import { Kysely, type Migration, type MigrationResultSet, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';

export type MigrationSet = Record<string, Migration>;

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly results: MigrationResultSet['results'],
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** Migrates `schema` to the latest version; throws MigrationError naming the failed step. */
export async function migrateToLatest(
  connectionString: string,
  schema: string,
  migrations: MigrationSet,
): Promise<string[]> {
  const pool = new pg.Pool({ connectionString, max: 1 });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const root = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(root);
    const db = root.withSchema(schema);
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => migrations },
      migrationTableSchema: schema,
    });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) {
      const failed = results.find((r) => r.status === 'Error');
      const reason = error instanceof Error ? error.message : String(error);
      throw new MigrationError(
        `migration ${failed?.migrationName ?? '(setup)'} of schema "${schema}" failed: ${reason}`,
        results,
      );
    }
    return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  } finally {
    await root.destroy();
  }
}

/** Creates the database named in the URL when it does not exist (used by `pnpm start`). */
export async function ensureDatabaseExists(connectionString: string): Promise<boolean> {
  const url = new URL(connectionString);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`create database "${name.replaceAll('"', '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}

/**
 * A service's whole `pnpm migrate` (src/migrate.ts): migrates its schema at DATABASE_URL,
 * says what it applied, exits 1 with the reason when it cannot.
 */
export async function migrateCommand(schema: string, migrations: MigrationSet): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/lumikb';
  try {
    const applied = await migrateToLatest(url, schema, migrations);
    process.stdout.write(`${schema}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}\n`);
  } catch (error) {
    process.stderr.write(`${schema}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
