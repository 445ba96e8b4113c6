/** Maps vector-store failures onto this service's error catalogue. */
import { isVectorStoreError } from '@lumikb/vector-store';
import { errors } from './errors.ts';

export async function vectorCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isVectorStoreError(error, 'COLLECTION_CONFLICT')) {
      throw errors.COLLECTION_CONFLICT(`${what}: ${error.message}`, error.details);
    }
    if (isVectorStoreError(error)) {
      throw errors.VECTOR_STORE_UNAVAILABLE(`${what}: the vector store is unavailable (${error.code})`, {
        reason: error.code,
      });
    }
    throw error;
  }
}
