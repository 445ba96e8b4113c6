/**
 * The vector store as a service capability: its variables, opened by `connect()`,
 * checked by `/ready` (vector_store), closed with the app. Used by the knowledge-base
 * service (search, deletes) and the ingestion worker (indexing).
 */
import { openVectorStore, type VectorStore, type VectorStoreOptions } from '@lumikb/vector-store';
import { Type } from 'typebox';
import type { Capability } from '../service.ts';

export const VectorStoreConfigSchema = {
  QDRANT_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'Qdrant REST URL; unset = vectors in Postgres (schema VECTOR_SCHEMA)',
    }),
  ),
  QDRANT_API_KEY: Type.Optional(Type.String({ description: 'Qdrant api-key, when the server requires one' })),
  VECTOR_SCHEMA: Type.String({
    default: 'vectors',
    pattern: '^[a-z_][a-z0-9_]*$',
    description: 'Postgres schema of the embedded vector store',
  }),
};

export interface VectorStoreConfig {
  DATABASE_URL: string;
  QDRANT_URL?: string;
  QDRANT_API_KEY?: string;
  VECTOR_SCHEMA: string;
}

export function vectorStoreOptionsOf(config: VectorStoreConfig): VectorStoreOptions {
  return {
    ...(config.QDRANT_URL ? { qdrantUrl: config.QDRANT_URL } : {}),
    ...(config.QDRANT_API_KEY ? { qdrantApiKey: config.QDRANT_API_KEY } : {}),
    databaseUrl: config.DATABASE_URL,
    schema: config.VECTOR_SCHEMA,
  };
}

export const vectorStore: Capability<VectorStoreConfig, VectorStore> = {
  open: (config) => openVectorStore(vectorStoreOptionsOf(config)),
  // The detail says which backend searches (exact / pgvector / qdrant) and, exact path,
  // the in-memory copies and their memory.
  readiness: (vectors) => ({
    name: 'vector_store',
    check: async () => {
      await vectors.health();
      return vectors.describe();
    },
  }),
  close: (vectors) => vectors.close(),
};
