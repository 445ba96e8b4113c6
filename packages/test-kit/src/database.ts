/**
 * A database per test file, cloned from a template that is migrated once per set of
 * migrations (keyed by their content), so files run in parallel without interfering.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type MigrationSet, migrateToLatest } from '@lumikb/db';
import pg from 'pg';
import { testInfra, withDatabase } from './infra.ts';

export interface SchemaMigrations {
  schema: string;
  migrations: MigrationSet;
}

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function templateKey(sets: SchemaMigrations[]): string {
  const h = createHash('sha256');
  for (const set of sets) {
    h.update(set.schema);
    for (const [name, m] of Object.entries(set.migrations).sort(([a], [b]) => a.localeCompare(b))) {
      h.update(name);
      h.update(m.up.toString());
    }
  }
  return h.digest('hex').slice(0, 16);
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const { postgresUrl } = await testInfra();
  const client = new pg.Client({ connectionString: withDatabase(postgresUrl, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function ensureTemplate(sets: SchemaMigrations[]): Promise<string> {
  const { postgresUrl } = await testInfra();
  const key = templateKey(sets);
  const name = `lumikb_tpl_${key}`;
  await withAdmin(async (admin) => {
    // One process builds a template; the others wait on the lock, then find it ready.
    await admin.query('select pg_advisory_lock(hashtext($1))', [name]);
    try {
      const exists = await admin.query('select 1 from pg_database where datname = $1 and datistemplate', [name]);
      if (exists.rowCount) return;
      await admin.query(`drop database if exists "${name}"`);
      await admin.query(`create database "${name}"`);
      try {
        for (const set of sets) await migrateToLatest(withDatabase(postgresUrl, name), set.schema, set.migrations);
      } catch (error) {
        await admin.query(`drop database if exists "${name}"`);
        throw error;
      }
      await admin.query(`alter database "${name}" is_template true`);
    } finally {
      await admin.query('select pg_advisory_unlock(hashtext($1))', [name]);
    }
  });
  return name;
}

/** Creates a fresh, migrated database for one test file; dropped at teardown. */
export async function createTestDatabase(t: Teardown | undefined, sets: SchemaMigrations[]): Promise<TestDatabase> {
  const { postgresUrl } = await testInfra();
  const template = await ensureTemplate(sets);
  const name = `lumikb_t_${randomBytes(6).toString('hex')}`;
  await withAdmin(async (admin) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`create database "${name}" template "${template}"`);
        return;
      } catch (error) {
        // Two clones of one template at the same instant can collide; try again shortly.
        if (attempt >= 10 || !/being accessed by other users/.test(String(error))) throw error;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  });
  const db: TestDatabase = {
    url: withDatabase(postgresUrl, name),
    name,
    drop: () =>
      withAdmin(async (admin) => {
        await admin.query(`drop database if exists "${name}" with (force)`);
      }),
  };
  t?.teardown(() => db.drop());
  return db;
}
