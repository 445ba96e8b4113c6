/** Routes: processing queue monitoring and KB statistics (operators, level 2). */
import { caller, errorResponses, eventContextOf, type ServiceApp } from '@lumikb/service-kit';
import type { KbContext } from '../context.ts';
import {
  BulkRetryRequestSchema,
  BulkRetryResponseSchema,
  KbStatsSchema,
  QueueStatusSchema,
  TaskListSchema,
  TaskQuery,
} from './schemas.ts';
import { bulkRetry, kbStats, queueStatus, queueTasks } from './service.ts';

const tags = ['queue'];

export function registerQueueRoutes(app: ServiceApp, ctx: KbContext): void {
  app.get(
    '/api/v1/admin/queue/status',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        summary: 'Ingestion queue: JetStream pending / in-flight / redelivered, workers connected',
        response: { 200: QueueStatusSchema, ...errorResponses(401, 403, 503) },
      },
    },
    async () => queueStatus(ctx),
  );

  app.get(
    '/api/v1/admin/queue/tasks',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        summary: 'Processing tasks (documents) with their steps; PENDING and PROCESSING unless ?status= is given',
        querystring: TaskQuery,
        response: { 200: TaskListSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => queueTasks(ctx, request.query, caller(request)),
  );

  app.post(
    '/api/v1/admin/queue/retry-failed',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        summary:
          'Retry FAILED documents: the given ids, or all failed (optionally of one KB). Every document not queued is listed in errors.',
        body: BulkRetryRequestSchema,
        response: { 200: BulkRetryResponseSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => bulkRetry(ctx, request.body, eventContextOf(request)),
  );

  app.get(
    '/api/v1/admin/kb-stats',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        summary: 'Per knowledge base: documents by status, chunks, vectors and storage',
        description:
          'Every KB with its figures; `name` is null for a KB the caller may not read (operators who are not members).',
        response: { 200: KbStatsSchema, ...errorResponses(401, 403) },
      },
    },
    async (request) => kbStats(ctx, caller(request)),
  );
}
