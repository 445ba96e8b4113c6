export * from './errors.ts';
export { CHUNK_ID_NAMESPACE, collectionName, pointId, uuidV5 } from './ids.ts';
export { PostgresVectorStore, type PostgresVectorStoreOptions } from './postgres/adapter.ts';
export { QdrantVectorStore, type QdrantVectorStoreOptions } from './qdrant/adapter.ts';
export * from './types.ts';

import { retry } from '@lumikb/retry';
import { VectorStoreError } from './errors.ts';
import { PostgresVectorStore } from './postgres/adapter.ts';
import { QdrantVectorStore } from './qdrant/adapter.ts';
import type { VectorStore, VectorStoreOptions } from './types.ts';

/**
 * The qdrant adapter when `qdrantUrl` is set, otherwise the embedded postgres adapter.
 * Nothing is contacted here: call `ensureReady()` at start-up to fail fast (it migrates the
 * postgres schema, or checks the Qdrant server's version and API key).
 */
export function createVectorStore(options: VectorStoreOptions): VectorStore {
  if (options.qdrantUrl) {
    return new QdrantVectorStore({
      url: options.qdrantUrl,
      ...(options.qdrantApiKey && { apiKey: options.qdrantApiKey }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.logger && { logger: options.logger }),
    });
  }
  if (!options.databaseUrl) {
    throw new VectorStoreError('UNAVAILABLE', 'vector store needs QDRANT_URL or a database URL for the embedded store');
  }
  return new PostgresVectorStore({
    databaseUrl: options.databaseUrl,
    ...(options.schema && { schema: options.schema }),
    ...(options.poolMax !== undefined && { poolMax: options.poolMax }),
    ...(options.cacheMaxBytes !== undefined && { cacheMaxBytes: options.cacheMaxBytes }),
    ...(options.vectorSearch && { vectorSearch: options.vectorSearch }),
    ...(options.preload !== undefined && { preload: options.preload }),
    ...(options.logger && { logger: options.logger }),
  });
}

/**
 * createVectorStore + ensureReady, for service start-up. The knowledge-base service and
 * the worker share the store and start together, so the first start may race on creating
 * the postgres schema: try again briefly before giving up. Closes the store on failure and
 * throws an error that names the store it could not use.
 */
export async function openVectorStore(options: VectorStoreOptions, attempts = 3): Promise<VectorStore> {
  const store = createVectorStore(options);
  try {
    await retry({ retries: attempts - 1, baseDelayMs: 500, jitter: 0 }, () => store.ensureReady());
    return store;
  } catch (error) {
    await store.close().catch(() => {});
    const where = options.qdrantUrl
      ? `Qdrant at ${options.qdrantUrl}`
      : `the Postgres schema "${options.schema ?? 'vectors'}"`;
    throw new Error(`cannot use the vector store (${where}): ${(error as Error).message}`);
  }
}
