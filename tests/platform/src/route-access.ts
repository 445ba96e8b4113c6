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
  auth: { ...KIT_ROUTES },
  registry: { ...KIT_ROUTES },
  'knowledge-base': { ...KIT_ROUTES },
  'ingestion-worker': { ...KIT_ROUTES },
  'proxy-sync': { ...KIT_ROUTES },
};
