/** Deterministic identifiers: the same chunk of the same document always gets the same point id. */
import { createHash } from 'node:crypto';

/** Namespace of LumiKB chunk ids (a fixed random UUID; changing it would duplicate every stored chunk). */
export const CHUNK_ID_NAMESPACE = '6f1c2b9e-3d7a-4c1e-9a57-2f0d8b4e61a3';

/** RFC 4122 version-5 UUID of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  if (ns.length !== 16) throw new Error(`invalid namespace UUID: ${namespace}`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Point id of chunk `chunkIndex` of `documentId`: re-processing a document replaces its points. */
export function pointId(documentId: string, chunkIndex: number): string {
  if (!Number.isInteger(chunkIndex) || chunkIndex < 0) throw new Error(`invalid chunk index: ${chunkIndex}`);
  return uuidV5(`${documentId.toLowerCase()}:${chunkIndex}`, CHUNK_ID_NAMESPACE);
}

/**
 * Collection of a knowledge base: `kb_<id>` with the id as given (a UUID keeps its hyphens —
 * Qdrant only forbids `< > : " / \ | ? *` and NUL in names, and the postgres adapter stores
 * the name as data, not as an identifier).
 */
export function collectionName(kbId: string): string {
  return `kb_${kbId.toLowerCase()}`;
}
