import { type Kysely, sql } from 'kysely';

/**
 * The knowledge-base context: a projection of the registry's models (so KBs can be
 * created while the registry is down), knowledge bases with their model choice and
 * overrides, per-KB grants, documents with their processing state, their original bytes
 * and their extracted text.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('models')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('model_id', 'text', (c) => c.notNull())
    .addColumn('api_endpoint', 'text')
    .addColumn('config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
    // The registry's updated_at of the view we hold: older views are ignored.
    .addColumn('source_updated_at', 'timestamptz', (c) => c.notNull())
    // Tombstone: a deleted model is never resurrected by a late created/updated event.
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('projected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('knowledge_bases')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('embedding_model_id', 'uuid', (c) => c.notNull())
    .addColumn('generation_model_id', 'uuid', (c) => c.notNull())
    .addColumn('config_overrides', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('collection', 'text', (c) => c.notNull())
    .addColumn('dimensions', 'integer', (c) => c.notNull())
    .addColumn('distance_metric', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('kb_permissions')
    .addColumn('kb_id', 'uuid', (c) => c.notNull().references('knowledge_bases.id').onDelete('cascade'))
    .addColumn('principal_type', 'text', (c) => c.notNull().check(sql`principal_type in ('user', 'group')`))
    .addColumn('principal_id', 'uuid', (c) => c.notNull())
    .addColumn('permission', 'text', (c) => c.notNull().check(sql`permission in ('READ', 'WRITE', 'ADMIN')`))
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('kb_permissions_pk', ['kb_id', 'principal_type', 'principal_id'])
    .execute();
  await db.schema
    .createIndex('kb_permissions_principal_idx')
    .on('kb_permissions')
    .columns(['principal_type', 'principal_id'])
    .execute();

  await db.schema
    .createTable('documents')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('kb_id', 'uuid', (c) => c.notNull().references('knowledge_bases.id').onDelete('cascade'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('processing_steps', 'jsonb', (c) => c.notNull())
    .addColumn('current_step', 'text')
    .addColumn('step_errors', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('error_message', 'text')
    .addColumn('chunk_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('character_count', 'integer')
    // Every upload/retry starts a new attempt; worker events carry (attempt, seq).
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('auto_requeues', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('uploaded_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('processing_started_at', 'timestamptz')
    .addColumn('processed_at', 'timestamptz')
    .addColumn('duration_ms', 'integer')
    // Last sign of life of the current attempt (queued, step change, progress): the
    // stuck-document sweep acts on documents whose last sign is too old.
    .addColumn('last_progress_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('documents_kb_status_idx').on('documents').columns(['kb_id', 'status']).execute();
  await db.schema
    .createIndex('documents_active_idx')
    .on('documents')
    .columns(['status', 'last_progress_at'])
    .where(sql.ref('status'), 'in', ['PENDING', 'PROCESSING'])
    .execute();

  await db.schema
    .createTable('document_originals')
    .addColumn('document_id', 'uuid', (c) => c.primaryKey().references('documents.id').onDelete('cascade'))
    .addColumn('bytes', 'bytea', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('document_contents')
    .addColumn('document_id', 'uuid', (c) => c.primaryKey().references('documents.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    // [[start, end], …] per chunk index, character offsets into `text`.
    .addColumn('chunks', 'jsonb', (c) => c.notNull())
    .addColumn('chunk_size', 'integer', (c) => c.notNull())
    .addColumn('chunk_overlap', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
