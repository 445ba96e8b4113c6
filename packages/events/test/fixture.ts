/** A throwaway schema with the event kit tables and two tables the tests write to. */
import { SYSTEM_ACTOR } from '@lumikb/contracts';
import { createDatabase, type MigrationSet } from '@lumikb/db';
import { createTestDatabase, type Teardown } from '@lumikb/test-kit';
import type { Kysely } from 'kysely';
import { createEventKitTables, type EventKitTables } from '../src/index.ts';

export const SCHEMA = 'evtest';

export interface TestTables extends EventKitTables {
  widgets: { id: number; name: string };
  applied: { event_id: string; seq: number };
}

export const migrations: MigrationSet = {
  '0001': {
    // biome-ignore lint/suspicious/noExplicitAny: migration
    async up(db: Kysely<any>) {
      await createEventKitTables(db, SCHEMA);
      await db.schema
        .createTable('widgets')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text')
        .execute();
      await db.schema
        .createTable('applied')
        .addColumn('event_id', 'uuid', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .execute();
    },
  },
};

export async function testDatabase(t: Teardown, url?: string) {
  const database = await createTestDatabase(t, [{ schema: SCHEMA, migrations }]);
  const handle = createDatabase<TestTables>({ connectionString: url ?? database.url, schema: SCHEMA });
  t.teardown(() => handle.close());
  return { database, handle };
}

export const context = { actor: SYSTEM_ACTOR };
