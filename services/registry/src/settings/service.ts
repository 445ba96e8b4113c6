/**
 * System settings and LLM configuration. Each change bumps the settings version and
 * is published as `config.updated` with the full snapshot, so running services apply it
 * without a restart (see @lumikb/settings).
 */
import {
  type GenerationDefaults,
  GenerationDefaultsSchema,
  type SettingsSnapshot,
  type SystemSettings,
  SystemSettingsSchema,
} from '@lumikb/contracts';
import type { Kysely, Transaction } from '@lumikb/db';
import type { EventContext } from '@lumikb/events';
import { recordAudit } from '@lumikb/service-kit';
import { Value } from 'typebox/value';
import type { RegistryDatabase } from '../db/database.ts';
import { findModel } from '../models/repository.ts';
import type { Warning } from '../models/schemas.ts';
import { makeDefault, SERVICE_NAME } from '../models/service.ts';
import { readSettingsRow, writeSettings } from './repository.ts';
import type { LlmConfigUpdate, SystemSettingsUpdate } from './schemas.ts';
import { changedPaths, generationDefaultsOf, publishSettings, readSnapshot, systemSettingsOf } from './snapshot.ts';

function actorName(context: EventContext): string {
  return context.actor.email ?? `${context.actor.type}:${context.actor.id}`;
}

/** Overlays a partial object onto a complete one, recursing into nested objects. */
function overlay<T>(base: T, patch: unknown): T {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return (patch === undefined ? base : patch) as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    out[key] = overlay((base as Record<string, unknown>)[key], value);
  }
  return out as T;
}

/** What the settings operations need. */
export interface SettingsContext {
  db: Kysely<RegistryDatabase>;
}

export function snapshot(ctx: SettingsContext): Promise<SettingsSnapshot> {
  return readSnapshot(ctx.db);
}

export async function systemView(ctx: SettingsContext) {
  const row = await readSettingsRow(ctx.db);
  return systemViewOf(row);
}

function systemViewOf(row: Awaited<ReturnType<typeof readSettingsRow>>) {
  return {
    version: Number(row.version),
    updated_at: row.updated_at.toISOString(),
    updated_by: row.updated_by,
    settings: systemSettingsOf(row),
  };
}

export async function updateSystem(ctx: SettingsContext, patch: SystemSettingsUpdate, context: EventContext) {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await readSettingsRow(trx, { forUpdate: true });
    const current = systemSettingsOf(row);
    const next = overlay<SystemSettings>(current, patch);
    // The route schema validated each field; this guards the merged whole.
    if (!Value.Check(SystemSettingsSchema, next)) throw new Error('merged system settings are invalid');
    const changed = changedPaths(current, next);
    if (changed.length === 0) return systemViewOf(row);
    await writeSettings(trx, { system: next, updated_by: actorName(context) });
    await recordAudit(
      trx,
      SERVICE_NAME,
      {
        action: 'config.updated',
        resourceType: 'system_settings',
        resourceId: null,
        oldValue: current,
        newValue: { ...next, changed_fields: changed },
      },
      context,
    );
    await publishSettings(
      trx,
      { reason: 'changed', scope: 'system', changed_fields: changed.map((c) => `system.${c}`) },
      context,
    );
    return systemViewOf(await readSettingsRow(trx));
  });
}

export async function llmView(
  ctx: SettingsContext,
  db: Kysely<RegistryDatabase> | Transaction<RegistryDatabase> = ctx.db,
) {
  const snapshot = await readSnapshot(db);
  const summary = async (id: string | null) => {
    if (!id) return null;
    const m = await findModel(db, id);
    return m
      ? {
          id: m.id,
          name: m.name,
          provider: m.provider,
          model_id: m.model_id,
          ...(m.type === 'embedding'
            ? { dimensions: Number(m.config.dimensions), distance_metric: String(m.config.distance_metric) }
            : {}),
        }
      : null;
  };
  return {
    version: snapshot.version,
    updated_at: snapshot.updated_at,
    ...snapshot.llm,
    default_embedding_model: await summary(snapshot.llm.default_embedding_model_id),
    default_generation_model: await summary(snapshot.llm.default_generation_model_id),
  };
}

export async function updateLlm(ctx: SettingsContext, input: LlmConfigUpdate, context: EventContext) {
  return ctx.db.transaction().execute(async (trx) => {
    // Lock order everywhere: default-model locks first, then the settings row.
    const before = await readSnapshot(trx);
    const changed: string[] = [];
    let warnings: Warning[] = [];

    if (input.default_embedding_model_id) {
      const result = await makeDefault(trx, input.default_embedding_model_id, 'embedding', context, false);
      if (result.changed) {
        changed.push('llm.default_embedding_model_id');
        warnings = result.warnings;
      }
    }
    if (input.default_generation_model_id) {
      const result = await makeDefault(trx, input.default_generation_model_id, 'generation', context, false);
      if (result.changed) changed.push('llm.default_generation_model_id');
    }
    if (input.generation_defaults) {
      const row = await readSettingsRow(trx, { forUpdate: true });
      const current = generationDefaultsOf(row);
      const next = overlay<GenerationDefaults>(current, input.generation_defaults);
      if (!Value.Check(GenerationDefaultsSchema, next)) throw new Error('merged generation defaults are invalid');
      const paths = changedPaths(current, next);
      if (paths.length > 0) {
        await writeSettings(trx, { generation_defaults: next, updated_by: actorName(context) });
        changed.push(...paths.map((p) => `llm.generation_defaults.${p}`));
      }
    }
    if (changed.length > 0) {
      const after = await readSnapshot(trx);
      await recordAudit(
        trx,
        SERVICE_NAME,
        {
          action: 'config.updated',
          resourceType: 'llm_settings',
          resourceId: null,
          oldValue: before.llm,
          newValue: { ...after.llm, changed_fields: changed },
        },
        context,
      );
      await publishSettings(trx, { reason: 'changed', scope: 'llm', changed_fields: changed }, context);
    }
    return { config: await llmView(ctx, trx), changed_fields: changed, warnings };
  });
}
