/**
 * Routes for service identities only (proxy-sync): models with their decrypted API key.
 * The only place a decrypted key leaves the registry; nothing secret is logged.
 */

import { INTERNAL_REGISTRY_PATHS, ModelCredentialsListSchema, ModelCredentialsSchema } from '@lumikb/contracts';
import { errorResponses, type ServiceApp, UuidParam } from '@lumikb/service-kit';
import type { RegistryContext } from '../context.ts';
import { InternalModelsQuerySchema } from '../models/schemas.ts';
import * as models from '../models/service.ts';

export function registerInternalRoutes(app: ServiceApp, ctx: RegistryContext): void {
  app.get(
    '/internal/models/:id/credentials',
    {
      config: { access: 'service' },
      schema: {
        tags: ['internal'],
        summary: 'A model with its decrypted API key (service identities only)',
        params: UuidParam,
        response: { 200: ModelCredentialsSchema, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return models.credentials(ctx, request.params.id);
    },
  );

  app.get(
    INTERNAL_REGISTRY_PATHS.models,
    {
      config: { access: 'service' },
      schema: {
        tags: ['internal'],
        summary: 'Models (optionally by status) with their decrypted API keys (service identities only)',
        querystring: InternalModelsQuerySchema,
        response: { 200: ModelCredentialsListSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return models.credentialsList(ctx, request.query.status);
    },
  );
}
