/**
 * Request-side authentication. Access tokens are issued by the auth service and
 * verified here with its public key only. Every route must declare `config.access`;
 * a route without one makes the app fail to start, so nothing ships unclassified.
 */

import fastifyCookie from '@fastify/cookie';
import fastifyJwt from '@fastify/jwt';
import {
  ACCESS_LEVEL,
  type AccessTokenClaims,
  type RouteAccess,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
} from '@lumikb/contracts';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { kitErrors } from './errors.ts';
import type { RevocationList } from './revocations.ts';

export const ACCESS_COOKIE = 'lumikb_access';

export interface ClassifiedRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

export interface AuthOptions {
  /** PEM of the Ed25519 public key. */
  publicKey: string;
  /**
   * Optional extra check after signature verification (e.g. a deactivated user's
   * still-valid token). Throw an AppError to refuse.
   */
  checkClaims?: (claims: AccessTokenClaims, request: FastifyRequest) => Promise<void> | void;
  /**
   * Access for routes that declare none. Only the gateway sets this ('public'): it serves
   * static files and proxies, and every upstream enforces its own routes' access.
   */
  defaultAccess?: RouteAccess;
  /** Users whose earlier tokens were revoked (sign-out everywhere, deactivation, …). */
  revocations?: RevocationList;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyInstance {
    /** Every route with its access class, for the RBAC matrix test and docs. */
    classifiedRoutes: ClassifiedRoute[];
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenClaims;
    user: AccessTokenClaims;
  }
}

/** Routes added by plugins we do not control (Swagger UI) are public documentation. */
const PUBLIC_PREFIXES = ['/docs'];

export async function installAuth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  await app.register(fastifyCookie);
  await app.register(fastifyJwt, {
    secret: { public: options.publicKey, private: 'verify-only' },
    verify: {
      algorithms: ['EdDSA'],
      allowedIss: TOKEN_ISSUER,
      allowedAud: TOKEN_AUDIENCE,
      requiredClaims: ['iss', 'aud'],
    },
    cookie: { cookieName: ACCESS_COOKIE, signed: false },
  });
  app.decorate('classifiedRoutes', [] as ClassifiedRoute[]);

  app.addHook('onRoute', (route: RouteOptions) => {
    let access = route.config?.access ?? options.defaultAccess;
    if (!access && PUBLIC_PREFIXES.some((p) => route.url === p || route.url.startsWith(`${p}/`))) access = 'public';
    if (!access) {
      throw new Error(
        `route ${String(route.method)} ${route.url} declares no config.access (public|user|operator|admin|service)`,
      );
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD') app.classifiedRoutes.push({ method, url: route.url, access });
    }
    if (access === 'public') return;
    const guard = async (request: FastifyRequest) => {
      const claims = await verify(request);
      const iat = (claims as { iat?: number }).iat ?? 0;
      if (claims.typ === 'access' && options.revocations?.isRevoked(claims.sub, iat)) {
        throw kitErrors.TOKEN_REVOKED('This session was ended; sign in again');
      }
      if (access === 'service') {
        if (claims.typ !== 'service') throw kitErrors.FORBIDDEN('This route is for service identities only');
      } else {
        if (claims.typ !== 'access') throw kitErrors.FORBIDDEN('Service identities cannot call user routes');
        const needed = ACCESS_LEVEL[access];
        if ((claims.lvl ?? 0) < needed) {
          throw kitErrors.INSUFFICIENT_LEVEL(`This action requires permission level ${needed} (${access})`, {
            required: needed,
            actual: claims.lvl ?? 0,
          });
        }
      }
      await options.checkClaims?.(claims, request);
    };
    // onRequest, not preHandler: refuse before the body is parsed or validated, so an
    // anonymous caller learns nothing about a route's schema.
    const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
    route.onRequest = [guard, ...existing];
  });
}

async function verify(request: FastifyRequest): Promise<AccessTokenClaims> {
  const bearer = /^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1];
  const token = bearer ?? request.cookies?.[ACCESS_COOKIE];
  if (!token) throw kitErrors.UNAUTHENTICATED('Sign in required');
  try {
    // The instance verifier without options is built once; request.jwtVerify(options)
    // would rebuild it (and re-parse the key) on every request.
    const claims = request.server.jwt.verify<AccessTokenClaims>(token);
    request.user = claims;
    return claims;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.includes('EXPIRED')) throw kitErrors.TOKEN_EXPIRED('Access token expired');
    throw kitErrors.TOKEN_INVALID('Access token is invalid');
  }
}

/** The caller's claims (set by the guard on any non-public route). */
export function caller(request: FastifyRequest): AccessTokenClaims {
  if (!request.user) throw kitErrors.UNAUTHENTICATED('Sign in required');
  return request.user;
}
