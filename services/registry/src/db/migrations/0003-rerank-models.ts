import { type Kysely, sql } from 'kysely';

/**
 * Rerank models (issue 14) and the Jina AI provider: widen the two check constraints of
 * llm_models. Existing rows are untouched.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table registry.llm_models drop constraint if exists llm_models_type_check`.execute(db);
  await sql`alter table registry.llm_models add constraint llm_models_type_check
    check (type in ('embedding', 'generation', 'rerank'))`.execute(db);
  await sql`alter table registry.llm_models drop constraint if exists llm_models_provider_check`.execute(db);
  await sql`alter table registry.llm_models add constraint llm_models_provider_check
    check (provider in ('local', 'ollama', 'lmstudio', 'openai', 'azure', 'anthropic', 'cohere', 'google', 'jina', 'custom'))`.execute(
    db,
  );
}
