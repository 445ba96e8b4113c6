/**
 * The database package against the real PostgreSQL: migrations run inside a service's
 * own schema and stop at the first failure, naming it; a handle's unqualified tables
 * resolve to that schema; counts come back as numbers; a database that cannot be reached
 * is reported as the database's failure; readSnapshot gives a list's page and its total one
 * snapshot, refuses writes, and runs inside a caller's transaction.
 */
import {
  createDatabase,
  type Generated,
  type Migration,
  MigrationError,
  migrateToLatest,
  readSnapshot,
  sql,
  withTimeout,
} from '@lumikb/db';
import { createTestDatabase } from '@lumikb/test-kit';
import t from 'tap';

const notes: Record<string, Migration> = {
  '0001_notes': {
    async up(db) {
      await db.schema
        .createTable('notes')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002_note_tags': {
    async up(db) {
      await db.schema.alterTable('notes').addColumn('tag', 'text').execute();
    },
  },
};

interface NotesDb {
  notes: { id: Generated<number>; body: string; tag: string | null };
}

t.test('migrations run once, inside the schema they are given', async (t) => {
  const database = await createTestDatabase(t, []);
  t.same(await migrateToLatest(database.url, 'notes_service', notes), ['0001_notes', '0002_note_tags']);
  t.same(await migrateToLatest(database.url, 'notes_service', notes), [], 'a second run has nothing to do');

  const handle = createDatabase<NotesDb>({ connectionString: database.url, schema: 'notes_service' });
  t.teardown(() => handle.close());
  await handle.db.insertInto('notes').values({ body: 'first', tag: 'a' }).execute();
  const where = await sql<{ table_schema: string }>`
    select table_schema from information_schema.tables where table_name = 'notes'`.execute(handle.db);
  t.same(
    where.rows.map((r) => r.table_schema),
    ['notes_service'],
    'the table lives in the service schema, not public',
  );
  const count = await handle.db
    .selectFrom('notes')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  t.equal(count.n, 1, 'a bigint count is a number, not the string "1"');
  await handle.ping();
  await handle.close();
  await handle.close(); // closing twice is harmless (shutdown paths may race)
});

t.test('a failing migration is named and rolls its whole run back', async (t) => {
  const database = await createTestDatabase(t, []);
  t.same(await migrateToLatest(database.url, 'svc', { '0001_notes': notes['0001_notes']! }), ['0001_notes']);
  const broken: Record<string, Migration> = {
    ...notes,
    '0003_broken': {
      async up(db) {
        await db.schema.alterTable('notes').addColumn('tag', 'text').execute();
      },
    },
  };
  const error = await migrateToLatest(database.url, 'svc', broken).catch((e: unknown) => e);
  t.ok(error instanceof MigrationError, 'a MigrationError');
  t.match((error as Error).message, /^migration 0003_broken of schema "svc" failed: .*already exists/);
  t.match((error as MigrationError).results, [
    { migrationName: '0002_note_tags', status: 'Success' },
    { migrationName: '0003_broken', status: 'Error' },
  ]);
  // One transaction per run (PostgreSQL has transactional DDL): 0002 did not stay half-done.
  t.same(await migrateToLatest(database.url, 'svc', notes), ['0002_note_tags'], '0002 is applied again, alone');
});

t.test('a database that cannot be reached fails as the database, within its timeout', async (t) => {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const handle = createDatabase({ connectionString: 'postgres://nobody@127.0.0.1:1/none', schema: 'x' });
  t.teardown(() => handle.close());
  const error = await handle.ping(5_000).catch((e: unknown) => e);
  t.match(error, { code: 'ECONNREFUSED', dependency: 'database' }, 'tagged for the 503 DATABASE_UNAVAILABLE mapping');

  await t.rejects(withTimeout(new Promise(() => {}), 10, 'took too long'), { message: 'took too long' });
  t.equal(await withTimeout(Promise.resolve('in time'), 1_000, 'unused'), 'in time');
});

/** The readSnapshot tests' database: the notes schema with two notes. */
async function notesDatabase(t: { teardown(fn: () => unknown): void }) {
  const database = await createTestDatabase(t, []);
  await migrateToLatest(database.url, 'snap', notes);
  const handle = createDatabase<NotesDb>({ connectionString: database.url, schema: 'snap' });
  t.teardown(() => handle.close());
  await handle.db
    .insertInto('notes')
    .values([{ body: 'a' }, { body: 'b' }])
    .execute();
  return handle.db;
}

const count = async (db: Parameters<Parameters<typeof readSnapshot<NotesDb, number>>[1]>[0]) =>
  Number(
    (
      await db
        .selectFrom('notes')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

t.test('a row written between the page and its count is in neither', async (t) => {
  const db = await notesDatabase(t);
  const { rows, total } = await readSnapshot(db, async (trx) => {
    const rows = await trx.selectFrom('notes').selectAll().execute();
    // Another connection commits a row after the page was read, before the count.
    await db.insertInto('notes').values({ body: 'late' }).execute();
    return { rows, total: await count(trx) };
  });
  t.equal(rows.length, 2);
  t.equal(total, 2, 'the total is counted in the page’s snapshot');
  t.equal(await count(db as never), 3, 'the late row is stored and seen by the next read');
});

t.test('the snapshot is read-only', async (t) => {
  const db = await notesDatabase(t);
  await t.rejects(
    readSnapshot(db, (trx) => trx.insertInto('notes').values({ body: 'x' }).execute()),
    /read-only transaction/,
  );
});

t.test('inside a caller’s transaction it reads there, seeing that transaction’s own writes', async (t) => {
  const db = await notesDatabase(t);
  const seen = await db.transaction().execute(async (trx) => {
    await trx.insertInto('notes').values({ body: 'uncommitted' }).execute();
    return readSnapshot(trx, (inner) => count(inner));
  });
  t.equal(seen, 3);
});
