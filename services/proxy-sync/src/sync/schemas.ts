/** Payloads of proxy-sync's admin routes. */
import { Type } from 'typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const ReconcileReportSchema = Type.Object({
  trigger: Type.Union([Type.Literal('startup'), Type.Literal('periodic'), Type.Literal('manual')]),
  started_at: Type.String({ format: 'date-time' }),
  finished_at: Type.String({ format: 'date-time' }),
  duration_ms: Type.Integer(),
  proxy_url: Type.String(),
  registry: Type.Union([Type.Literal('listed'), Type.Literal('unavailable')], {
    description: "whether the registry's full model list was available (without it, unknown aliases are left alone)",
  }),
  registry_error: Type.Optional(Type.String()),
  added: Type.Array(Type.String(), { description: 'aliases registered' }),
  updated: Type.Array(Type.String(), { description: 'aliases whose deployment changed' }),
  removed: Type.Array(Type.String(), { description: 'orphan or deactivated aliases deleted' }),
  unchanged: Type.Array(Type.String(), { description: 'aliases already right (left untouched)' }),
  failed: Type.Array(Type.Object({ alias: Type.String(), id: Nullable(Type.String()), error: Type.String() })),
  kept: Type.Array(Type.Object({ alias: Type.String(), reason: Type.String() }), {
    description: 'db-* aliases deliberately left in place',
  }),
});

export const SyncStatusSchema = Type.Object({
  configured: Type.Boolean(),
  proxy_url: Nullable(Type.String()),
  pending: Type.Integer({ description: 'models whose latest change is not mirrored yet' }),
  failed: Type.Integer(),
  last_reconcile: Nullable(ReconcileReportSchema),
  last_reconcile_error: Nullable(Type.String()),
  models: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      alias: Type.String(),
      provider: Type.String(),
      type: Type.String(),
      status: Type.String(),
      deleted: Type.Boolean(),
      sync_state: Type.Union([
        Type.Literal('pending'),
        Type.Literal('synced'),
        Type.Literal('failed'),
        Type.Literal('removed'),
        Type.Literal('not_applicable'),
      ]),
      pending: Type.Boolean(),
      attempts: Type.Integer(),
      last_error: Nullable(Type.String()),
      synced_at: Nullable(Type.String({ format: 'date-time' })),
      next_attempt_at: Nullable(Type.String({ format: 'date-time' })),
    }),
  ),
});
