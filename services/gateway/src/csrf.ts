/**
 * CSRF defence in depth behind SameSite cookies: a state-changing /api request that
 * authenticates with the session cookies must come from our own origin, shown by its
 * Origin header (or, when a browser sends none, its Referer). Requests with a bearer
 * token are exempt: a browser never attaches one on its own, so another site cannot forge
 * them. The allowed origins are PUBLIC_ORIGINS, or by default the origin the request
 * was addressed to (its Host, with the scheme the gateway sees).
 */
import { ACCESS_COOKIE, defineErrors } from '@lumikb/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const errors = defineErrors({ CSRF_ORIGIN_MISMATCH: 'forbidden' });

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SESSION_COOKIES = [ACCESS_COOKIE, 'lumikb_refresh'];

function originOf(value: string | undefined): string | undefined {
  if (!value || value === 'null') return undefined;
  try {
    return new URL(value).origin;
  } catch {
    return undefined;
  }
}

function allowedOrigins(request: FastifyRequest, configured: string[]): string[] {
  if (configured.length > 0) return configured;
  const own = request.host ? originOf(`${request.protocol}://${request.host}`) : undefined;
  return own ? [own] : [];
}

/** `publicOrigins`: e.g. ["https://kb.example.com"]; empty = the request's own origin. */
export function installOriginCheck(app: FastifyInstance, publicOrigins: string[]): void {
  const configured = publicOrigins.map((o) => originOf(o)).filter((o): o is string => Boolean(o));
  app.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method) || !request.url.startsWith('/api/')) return;
    if (/^Bearer\s/i.test(request.headers.authorization ?? '')) return;
    if (!SESSION_COOKIES.some((name) => request.cookies?.[name])) return;
    const claimed = originOf(request.headers.origin) ?? originOf(request.headers.referer);
    if (!claimed || !allowedOrigins(request, configured).includes(claimed)) {
      throw errors.CSRF_ORIGIN_MISMATCH(
        'This request carries session cookies but does not come from this site (Origin/Referer check)',
        { origin: claimed ?? null },
      );
    }
  });
}
