/** Admin routes: force a full reconcile, and see where every model's mirror stands. */

import type { Kysely } from '@lumikb/db';
import { errorResponses, eventContextOf, recordAudit, type ServiceApp } from '@lumikb/service-kit';
import type { ProxySyncDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { ReconcileReportSchema, SyncStatusSchema } from './schemas.ts';
import { ProxyNotConfiguredError, type SyncService } from './service.ts';

export function registerSyncRoutes(
  app: ServiceApp,
  { sync, db }: { sync: SyncService; db: Kysely<ProxySyncDatabase> },
): void {
  app.post(
    '/api/v1/admin/models/sync',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['models'],
        summary: 'Reconcile the LiteLLM proxy with the registry now',
        description:
          'Adds missing db-{uuid} aliases, updates changed ones, removes orphans, and leaves healthy aliases alone. ' +
          'Returns what it did. 409 PROXY_NOT_CONFIGURED without LITELLM_PROXY_URL; 503 PROXY_UNREACHABLE when the proxy does not answer.',
        response: { 200: ReconcileReportSchema, ...errorResponses(401, 403, 409, 503) },
      },
    },
    async (request) => {
      let report: Awaited<ReturnType<SyncService['reconcile']>>;
      try {
        report = await sync.reconcile('manual');
      } catch (error) {
        if (error instanceof ProxyNotConfiguredError) {
          throw errors.PROXY_NOT_CONFIGURED('LITELLM_PROXY_URL is not set: proxy-sync is idle and mirrors no model');
        }
        throw errors.PROXY_UNREACHABLE(
          `The LiteLLM proxy at ${sync.proxyUrl} could not be reconciled: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      await db.transaction().execute((trx) =>
        recordAudit(
          trx,
          'proxy-sync',
          {
            action: 'proxy_sync.reconcile',
            resourceType: 'llm_proxy',
            resourceId: null,
            newValue: {
              added: report.added.length,
              updated: report.updated.length,
              removed: report.removed.length,
              unchanged: report.unchanged.length,
              failed: report.failed.length,
            },
            outcome: report.failed.length > 0 ? 'failure' : 'success',
            ip: request.ip,
          },
          eventContextOf(request),
        ),
      );
      return report;
    },
  );

  app.get(
    '/api/v1/admin/models/sync',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['models'],
        summary: 'Sync state of every model known to proxy-sync, and the last reconcile',
        response: { 200: SyncStatusSchema, ...errorResponses(401, 403) },
      },
    },
    async () => sync.status(),
  );
}
