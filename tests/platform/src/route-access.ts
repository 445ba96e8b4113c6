/**
 * The access class of every route of every service. The RBAC matrix test fails when a
 * service registers a route that is not listed here, lists one that no longer exists,
 * or guards one differently — so no route ships unclassified or silently changes level.
 *
 * Key: "METHOD /path" exactly as registered (with `:param` placeholders).
 */
import type { RouteAccess } from '@lumikb/contracts';

/** Routes every service gets from the service kit. */
export const KIT_ROUTES: Record<string, RouteAccess> = {
  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /metrics': 'public',
  'GET /docs': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/*': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
};

/** The gateway is not listed: it guards nothing itself (see services/gateway/test/app.test.ts). */
export const ROUTE_ACCESS: Record<string, Record<string, RouteAccess>> = {
  auth: {
    ...KIT_ROUTES,
    'POST /api/v1/auth/login': 'public',
    'POST /api/v1/auth/refresh': 'public',
    'POST /api/v1/auth/register': 'public',
    'POST /api/v1/auth/logout': 'user',
    'GET /api/v1/auth/me': 'user',
    'PATCH /api/v1/auth/me': 'user',
    'POST /api/v1/auth/password': 'user',
    'GET /api/v1/auth/sessions': 'user',
    'POST /api/v1/auth/sessions/end-others': 'user',
    'GET /api/v1/admin/users': 'admin',
    'POST /api/v1/admin/users': 'admin',
    'GET /api/v1/admin/users/:id': 'admin',
    'PATCH /api/v1/admin/users/:id': 'admin',
    'POST /api/v1/admin/users/:id/deactivate': 'admin',
    'POST /api/v1/admin/users/:id/reactivate': 'admin',
    'POST /api/v1/admin/users/:id/reset-password': 'admin',
    'GET /api/v1/admin/groups': 'admin',
    'POST /api/v1/admin/groups': 'admin',
    'GET /api/v1/admin/groups/:id': 'admin',
    'PATCH /api/v1/admin/groups/:id': 'admin',
    'DELETE /api/v1/admin/groups/:id': 'admin',
    'GET /api/v1/admin/groups/:id/members': 'admin',
    'POST /api/v1/admin/groups/:id/members': 'admin',
    'DELETE /api/v1/admin/groups/:id/members/:userId': 'admin',
    'GET /api/v1/admin/audit': 'operator',
    // Public at the guard: the caller has no token yet; the shared client secret authenticates it.
    'POST /internal/service-token': 'public',
  },
  registry: {
    ...KIT_ROUTES,
    'GET /api/v1/admin/models': 'admin',
    'POST /api/v1/admin/models': 'admin',
    'GET /api/v1/admin/models/providers': 'admin',
    'POST /api/v1/admin/models/test': 'admin',
    'GET /api/v1/admin/models/:id': 'admin',
    'PUT /api/v1/admin/models/:id': 'admin',
    'DELETE /api/v1/admin/models/:id': 'admin',
    'POST /api/v1/admin/models/:id/test': 'admin',
    'POST /api/v1/admin/models/:id/set-default': 'admin',
    'GET /api/v1/admin/llm/config': 'admin',
    'PUT /api/v1/admin/llm/config': 'admin',
    'GET /api/v1/admin/llm/health': 'admin',
    'GET /api/v1/admin/config': 'admin',
    'PUT /api/v1/admin/config': 'admin',
    'GET /api/v1/models/available': 'user',
    'GET /internal/models': 'service',
    'GET /internal/models/:id/credentials': 'service',
  },
  'knowledge-base': {
    ...KIT_ROUTES,
    'POST /api/v1/knowledge-bases': 'operator',
    'GET /api/v1/knowledge-bases': 'user',
    'GET /api/v1/knowledge-bases/:id': 'user',
    'PATCH /api/v1/knowledge-bases/:id': 'user',
    'DELETE /api/v1/knowledge-bases/:id': 'user',
    'GET /api/v1/knowledge-bases/:id/model-config': 'user',
    'PUT /api/v1/knowledge-bases/:id/model-config': 'user',
    'GET /api/v1/knowledge-bases/:id/permissions': 'user',
    'PUT /api/v1/knowledge-bases/:id/permissions/:principalType/:principalId': 'user',
    'DELETE /api/v1/knowledge-bases/:id/permissions/:principalType/:principalId': 'user',
    'POST /api/v1/knowledge-bases/:id/documents': 'user',
    'POST /api/v1/knowledge-bases/:id/documents/bulk': 'user',
    'GET /api/v1/knowledge-bases/:id/documents': 'user',
    'GET /api/v1/knowledge-bases/:id/documents/:docId': 'user',
    'DELETE /api/v1/knowledge-bases/:id/documents/:docId': 'user',
    'POST /api/v1/knowledge-bases/:id/documents/:docId/retry': 'user',
    'GET /api/v1/knowledge-bases/:id/documents/:docId/content': 'user',
    'GET /api/v1/knowledge-bases/:id/documents/:docId/original': 'user',
    'POST /api/v1/search': 'user',
    'POST /api/v1/chat': 'user',
    'POST /api/v1/conversations': 'user',
    'GET /api/v1/conversations': 'user',
    'GET /api/v1/conversations/:id': 'user',
    'PATCH /api/v1/conversations/:id': 'user',
    'DELETE /api/v1/conversations/:id': 'user',
    'POST /api/v1/conversations/:id/messages': 'user',
    'POST /api/v1/conversations/:id/messages/:messageId/regenerate': 'user',
    'POST /api/v1/conversations/:id/messages/:messageId/stop': 'user',
    'PUT /api/v1/conversations/:id/messages/:messageId/feedback': 'user',
    'DELETE /api/v1/conversations/:id/messages/:messageId/feedback': 'user',
    'GET /api/v1/conversations/:id/export': 'user',
    'GET /api/v1/admin/chat-feedback': 'operator',
    'GET /api/v1/admin/queue/status': 'operator',
    'GET /api/v1/admin/queue/tasks': 'operator',
    'POST /api/v1/admin/queue/retry-failed': 'operator',
    'GET /api/v1/admin/kb-stats': 'operator',
    'GET /api/v1/admin/kb-permissions': 'admin',
    'GET /internal/documents/:docId': 'service',
    'GET /internal/documents/:docId/original': 'service',
    'PUT /internal/documents/:docId/content': 'service',
  },
  'ingestion-worker': { ...KIT_ROUTES },
  'proxy-sync': {
    ...KIT_ROUTES,
    'POST /api/v1/admin/models/sync': 'admin',
    'GET /api/v1/admin/models/sync': 'admin',
  },
};

/**
 * The platform's access policy, which every entry above must follow (checked by the
 * matrix test): `/api/v1/admin/*` is level 3 except the operations routes (queue, audit,
 * KB stats: level 2); `service` routes live under an `internal` prefix; and anonymous access is
 * limited to sign-in, refresh, registration, probes, metrics and docs.
 */
export const OPERATIONS_PREFIXES = [
  '/api/v1/admin/queue',
  '/api/v1/admin/audit',
  '/api/v1/admin/kb-stats',
  '/api/v1/admin/chat-feedback',
];

export const PUBLIC_ALLOWED = new Set([
  'GET /health',
  'GET /ready',
  'GET /metrics',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/register',
  // Authenticated by the shared service client secret instead of a token.
  'POST /internal/service-token',
]);

/** Why `key` breaks the policy with `access`, or undefined when it follows it. */
export function policyViolation(key: string, access: RouteAccess): string | undefined {
  const url = key.slice(key.indexOf(' ') + 1);
  const under = (prefix: string) => url === prefix || url.startsWith(`${prefix}/`);
  if (access === 'public') {
    return PUBLIC_ALLOWED.has(key) || under('/docs') ? undefined : 'anonymous access is not allowed here';
  }
  if (access === 'service') {
    return under('/internal') || under('/api/v1/internal') ? undefined : 'service routes belong under /internal/';
  }
  if (under('/api/v1/admin')) {
    const wanted = OPERATIONS_PREFIXES.some(under) ? 'operator' : 'admin';
    return access === wanted ? undefined : `must be '${wanted}'`;
  }
  return undefined;
}
