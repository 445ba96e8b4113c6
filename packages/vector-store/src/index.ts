export * from './errors.ts';
export { CHUNK_ID_NAMESPACE, collectionName, pointId, uuidV5 } from './ids.ts';
export * from './types.ts';

import { VectorStoreError } from './errors.ts';
import type { VectorStore, VectorStoreOptions } from './types.ts';

/** The qdrant adapter when `qdrantUrl` is set, otherwise the embedded postgres adapter. */
export function createVectorStore(options: VectorStoreOptions): VectorStore {
  // Adapters land in the next commits; the interface above is stable.
  throw new VectorStoreError(
    'UNAVAILABLE',
    `vector store adapters not built yet (${options.qdrantUrl ? 'qdrant' : 'postgres'})`,
  );
}
