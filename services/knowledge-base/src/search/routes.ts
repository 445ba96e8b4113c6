import { caller, errorResponses, type ServiceApp } from '@lumikb/service-kit';
import type { KbContext } from '../context.ts';
import { callerSignal } from '../requests/caller-lifetime.ts';
import { SearchRequestSchema, SearchResponseSchema } from './schemas.ts';
import { search } from './service.ts';

export function registerSearchRoutes(app: ServiceApp, ctx: KbContext): void {
  app.post(
    '/api/v1/search',
    {
      config: { access: 'user' },
      schema: {
        tags: ['search'],
        summary:
          'Search the knowledge bases the caller can read, each in its retrieval mode (hybrid, vector or keyword), with citations',
        body: SearchRequestSchema,
        response: { 200: SearchResponseSchema, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      // Before the first await, so a client that leaves at once is noticed too.
      const claims = caller(request);
      ctx.concurrency.search.hold(claims.sub, reply);
      return search(ctx, claims, request.body, callerSignal(request, reply));
    },
  );
}
