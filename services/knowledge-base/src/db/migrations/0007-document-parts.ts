import type { Kysely } from 'kysely';

/**
 * The parts of a document (slides, pages, sheets, attachments, top-level headings) with
 * their text ranges, for the viewer's navigation. Null for rows written before: the
 * viewer then derives parts from the chunks' locations.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('document_contents').addColumn('parts', 'jsonb').execute();
}
