import { type Kysely, sql } from 'kysely';

/**
 * One document per content in a KB, unless the uploader asked to keep a copy: the unique
 * index makes concurrent uploads of the same bytes unable to both pass. Copies that exist
 * already are kept and marked as such (the oldest stays the unique one).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('documents')
    .addColumn('content_unique', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
  const ranked = db
    .selectFrom('documents')
    .select(['id', sql<number>`row_number() over (partition by kb_id, sha256 order by created_at, id)`.as('n')]);
  await db
    .updateTable('documents')
    .set({ content_unique: false })
    .where('id', 'in', db.selectFrom(ranked.as('ranked')).select('ranked.id').where('ranked.n', '>', 1))
    .execute();
  await db.schema
    .createIndex('documents_kb_content_unique_idx')
    .on('documents')
    .columns(['kb_id', 'sha256'])
    .unique()
    .where(sql.ref('content_unique'), '=', true)
    .execute();
}
