/**
 * Which service owns which part of the public API. The gateway proxies `/api/v1/*` by
 * the longest matching prefix; this table is the one place that mapping lives.
 */
export type Upstream = 'auth' | 'registry' | 'knowledge-base' | 'proxy-sync';

export const API_ROUTES: readonly { prefix: string; upstream: Upstream }[] = [
  { prefix: '/api/v1/auth', upstream: 'auth' },
  { prefix: '/api/v1/admin/users', upstream: 'auth' },
  { prefix: '/api/v1/admin/groups', upstream: 'auth' },
  { prefix: '/api/v1/admin/audit', upstream: 'auth' },
  // More specific than /api/v1/admin/models: the forced reconcile lives in proxy-sync.
  { prefix: '/api/v1/admin/models/sync', upstream: 'proxy-sync' },
  { prefix: '/api/v1/admin/models', upstream: 'registry' },
  { prefix: '/api/v1/admin/llm', upstream: 'registry' },
  { prefix: '/api/v1/admin/config', upstream: 'registry' },
  { prefix: '/api/v1/models', upstream: 'registry' },
  { prefix: '/api/v1/knowledge-bases', upstream: 'knowledge-base' },
  { prefix: '/api/v1/search', upstream: 'knowledge-base' },
  { prefix: '/api/v1/chat', upstream: 'knowledge-base' },
  { prefix: '/api/v1/conversations', upstream: 'knowledge-base' },
  { prefix: '/api/v1/admin/chat-feedback', upstream: 'knowledge-base' },
  { prefix: '/api/v1/admin/queue', upstream: 'knowledge-base' },
  { prefix: '/api/v1/admin/kb-stats', upstream: 'knowledge-base' },
  { prefix: '/api/v1/admin/kb-permissions', upstream: 'knowledge-base' },
];

/** The owning service of a path, by longest prefix (used by tests and the OpenAPI merge). */
export function upstreamOf(path: string): Upstream | undefined {
  let best: { prefix: string; upstream: Upstream } | undefined;
  for (const route of API_ROUTES) {
    const matches = path === route.prefix || path.startsWith(`${route.prefix}/`);
    if (matches && (!best || route.prefix.length > best.prefix.length)) best = route;
  }
  return best?.upstream;
}
