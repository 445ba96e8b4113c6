import { type Kysely, sql } from 'kysely';

/**
 * Originals and extracted text move from bytea/text values (1 GB at most, read and written
 * whole) to Postgres large objects, written and read in pieces. Existing originals are
 * converted; existing texts stay in `text` and are read from there.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('document_originals').addColumn('blob_oid', sql`oid`).execute();
  await db.updateTable('document_originals').set({ blob_oid: sql`lo_from_bytea(0, bytes)` }).execute();
  await db.schema.alterTable('document_originals').dropColumn('bytes').execute();
  await db.schema
    .alterTable('document_originals')
    .alterColumn('blob_oid', (c) => c.setNotNull())
    .execute();

  await db.schema.alterTable('document_contents').addColumn('text_oid', sql`oid`).execute();
  await db.schema
    .alterTable('document_contents')
    .alterColumn('text', (c) => c.dropNotNull())
    .execute();
  await db.schema
    .alterTable('document_contents')
    .addColumn('character_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.updateTable('document_contents').set({ character_count: sql`length(text)` }).execute();
}
