/**
 * Which per-minute limit of the Config page (`rate_limits.*`) a request counts against.
 * Each request counts in exactly one bucket: uploads, searches and chat questions have
 * their own limits, so a bulk import is not throttled by the general API limit meant for
 * abuse, and the general limit does not shrink with them.
 */
import type { RateLimits } from '@lumikb/contracts';

export type Bucket = 'api' | 'search' | 'chat' | 'upload';

const SETTING: Record<Bucket, keyof RateLimits> = {
  api: 'api_requests_per_minute',
  search: 'search_requests_per_minute',
  chat: 'chat_requests_per_minute',
  upload: 'upload_requests_per_minute',
};

// The upload itself and any one-segment variant (bulk import), not /documents/:id/retry.
const UPLOAD = /^\/api\/v1\/knowledge-bases\/[^/]+\/documents(\/[^/]+)?$/;
// A question in a conversation, and a regenerated answer: each costs what a chat question does.
const CONVERSATION_ANSWER = /^\/api\/v1\/conversations\/[^/]+\/messages(\/[^/]+\/regenerate)?$/;

export function bucketOf(method: string, path: string): Bucket {
  if (method === 'POST' && UPLOAD.test(path)) return 'upload';
  if (method === 'POST' && (path === '/api/v1/search' || path.startsWith('/api/v1/search/'))) return 'search';
  if (method === 'POST' && (path === '/api/v1/chat' || path.startsWith('/api/v1/chat/'))) return 'chat';
  if (method === 'POST' && CONVERSATION_ANSWER.test(path)) return 'chat';
  return 'api';
}

export function limitOf(limits: RateLimits, bucket: Bucket): number {
  return limits[SETTING[bucket]];
}
