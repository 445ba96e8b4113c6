/**
 * `POST /internal/service-token`: services exchange the shared client secret for a
 * short-lived service-identity token (typ `service`) to call each other's internal
 * routes. Public at the guard (the caller has no token yet); the secret authenticates.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { INTERNAL_AUTH_PATHS, ServiceTokenRequestSchema, ServiceTokenResponseSchema } from '@lumikb/contracts';
import { errorResponses, SERVICE_SECRET_HEADER, type ServiceApp } from '@lumikb/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { audit } from '../audit/record.ts';
import type { Config } from '../config.ts';
import type { AuthDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import type { TokenIssuer } from '../security/tokens.ts';

/** Compares digests, so neither content nor length of the secret leaks through timing. */
function secretMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function registerServiceIdentityRoutes(
  app: ServiceApp,
  deps: { db: Kysely<AuthDatabase>; issuer: TokenIssuer; config: Pick<Config, 'SERVICE_CLIENT_SECRET'> },
): void {
  const presented = (request: FastifyRequest) => {
    const value = request.headers[SERVICE_SECRET_HEADER];
    return typeof value === 'string' ? value : '';
  };

  app.post(
    INTERNAL_AUTH_PATHS.serviceToken,
    {
      config: { access: 'public' },
      // Checked before the body is parsed: without the secret, nothing else is looked at.
      onRequest: async (request) => {
        if (!secretMatches(presented(request), deps.config.SERVICE_CLIENT_SECRET)) {
          await audit(
            deps.db,
            {
              action: 'service_token.refused',
              resourceType: 'service_identity',
              resourceId: null,
              outcome: 'failure',
              ip: request.ip,
            },
            { actor: { type: 'system', id: 'anonymous' }, requestId: request.id },
          );
          throw errors.INVALID_CLIENT_SECRET(`Missing or wrong ${SERVICE_SECRET_HEADER} header`);
        }
      },
      schema: {
        tags: ['service identities'],
        summary: 'Issue a short-lived service-identity token (internal; shared client secret)',
        description: `Send the shared SERVICE_CLIENT_SECRET in the ${SERVICE_SECRET_HEADER} header.`,
        body: ServiceTokenRequestSchema,
        response: { 200: ServiceTokenResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const issued = deps.issuer.issueService(request.body.service);
      request.log.debug({ service: request.body.service }, 'service token issued');
      return {
        access_token: issued.token,
        token_type: 'Bearer' as const,
        expires_in: issued.expiresIn,
        expires_at: issued.expiresAt.toISOString(),
      };
    },
  );
}
