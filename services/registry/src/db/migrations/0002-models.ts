import { type Kysely, sql } from 'kysely';

/**
 * Models with encrypted API keys, connection-test and proxy-sync state; the projection
 * of which knowledge bases use which model; and the platform settings (one row).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('llm_models')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('embedding', 'generation')`))
    .addColumn('provider', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`provider in ('local', 'ollama', 'lmstudio', 'openai', 'azure', 'anthropic', 'cohere', 'google', 'custom')`,
        ),
    )
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 255`))
    .addColumn('model_id', 'text', (c) => c.notNull())
    .addColumn('api_endpoint', 'text')
    .addColumn('config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('active').check(sql`status in ('active', 'inactive', 'deprecated')`),
    )
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
    // AES-256-GCM output (version, iv, tag, ciphertext) and the id of the key that wrote it.
    .addColumn('api_key_ciphertext', 'bytea')
    .addColumn('api_key_key_id', 'text')
    .addColumn('last_tested_at', 'timestamptz')
    .addColumn('last_test_success', 'boolean')
    .addColumn('last_test_latency_ms', 'integer')
    .addColumn('last_test_message', 'text')
    .addColumn('sync_status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`sync_status in ('not_applicable', 'pending', 'synced', 'failed')`),
    )
    .addColumn('sync_error', 'text')
    .addColumn('synced_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('llm_models_default_is_active', sql`not is_default or status = 'active'`)
    .addCheckConstraint('llm_models_key_has_key_id', sql`(api_key_ciphertext is null) = (api_key_key_id is null)`)
    .execute();
  await sql`create unique index llm_models_one_default_per_type on registry.llm_models (type) where is_default`.execute(
    db,
  );
  await sql`create unique index llm_models_name_per_type on registry.llm_models (type, lower(name))`.execute(db);
  await sql`create index llm_models_listing on registry.llm_models (type, status, name)`.execute(db);

  await db.schema
    .createTable('kb_usage')
    .addColumn('kb_id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('embedding_model_id', 'uuid', (c) => c.notNull())
    .addColumn('generation_model_id', 'uuid', (c) => c.notNull())
    .addColumn('dimensions', 'integer', (c) => c.notNull())
    .addColumn('distance_metric', 'text', (c) => c.notNull())
    .addColumn('document_count', 'integer', (c) => c.notNull().defaultTo(0))
    // Deleted KBs stay as tombstones so a late, redelivered kb.created cannot resurrect them.
    .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('source_occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index kb_usage_embedding on registry.kb_usage (embedding_model_id) where not deleted`.execute(db);
  await sql`create index kb_usage_generation on registry.kb_usage (generation_model_id) where not deleted`.execute(db);

  await db.schema
    .createTable('settings')
    .addColumn('id', 'smallint', (c) => c.primaryKey().check(sql`id = 1`))
    // Only what an admin changed is stored; the code's defaults fill in the rest on read,
    // so settings added later get their default without a data migration.
    .addColumn('system', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('generation_defaults', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by', 'text')
    .execute();
  await sql`insert into registry.settings (id) values (1)`.execute(db);
}
