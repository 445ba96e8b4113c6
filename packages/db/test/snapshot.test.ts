/**
 * readSnapshot: a list's page and its total agree even when a row arrives between the two
 * queries (what two queries on two pool connections got wrong), the snapshot refuses
 * writes, and inside a caller's transaction it runs in that transaction.
 */
import { createDatabase, type Generated, migrateToLatest, readSnapshot } from '@lumikb/db';
import { createTestDatabase } from '@lumikb/test-kit';
import t from 'tap';

interface NotesDb {
  notes: { id: Generated<number>; body: string };
}

async function notesDatabase(t: Tap) {
  const database = await createTestDatabase(t, []);
  await migrateToLatest(database.url, 'snap', {
    '0001_notes': {
      async up(db) {
        await db.schema
          .createTable('notes')
          .addColumn('id', 'bigserial', (c) => c.primaryKey())
          .addColumn('body', 'text', (c) => c.notNull())
          .execute();
      },
    },
  });
  const handle = createDatabase<NotesDb>({ connectionString: database.url, schema: 'snap' });
  t.teardown(() => handle.close());
  await handle.db
    .insertInto('notes')
    .values([{ body: 'a' }, { body: 'b' }])
    .execute();
  return handle.db;
}
type Tap = { teardown(fn: () => unknown): void };

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
