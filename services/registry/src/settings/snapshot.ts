/**
 * The current settings as one versioned snapshot, and publishing a change of it as
 * `config.updated` through the outbox in the caller's transaction.
 */
import {
  ConfigUpdated,
  DEFAULT_GENERATION_DEFAULTS,
  DEFAULT_SYSTEM_SETTINGS,
  GenerationDefaultsSchema,
  type SettingsScope,
  type SettingsSnapshot,
  SystemSettingsSchema,
} from '@lumikb/contracts';
import type { EventContext } from '@lumikb/events';
import { recordEvent } from '@lumikb/events';
import type { TObject, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { type Db, findDefault } from '../models/repository.ts';
import { bumpVersion, readSettingsRow, type SettingsRow } from './repository.ts';

/**
 * Takes each stored value that is still valid under the current schema and the code's
 * default for everything else, so a setting added (or narrowed) later never breaks reads.
 */
export function withDefaults<T>(schema: TObject, defaults: T, stored: unknown): T {
  const out: Record<string, unknown> = {};
  const source = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  for (const [key, fallback] of Object.entries(defaults as Record<string, unknown>)) {
    const property = schema.properties[key] as TSchema;
    const value = source[key];
    if (fallback && typeof fallback === 'object' && !Array.isArray(fallback) && 'properties' in property) {
      out[key] = withDefaults(property as TObject, fallback, value);
    } else {
      out[key] = value !== undefined && Value.Check(property, value) ? value : fallback;
    }
  }
  return out as T;
}

/** Dotted paths whose values differ between two plain JSON objects. */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix];
}

export function systemSettingsOf(row: SettingsRow) {
  return withDefaults(SystemSettingsSchema, DEFAULT_SYSTEM_SETTINGS, row.system);
}

export function generationDefaultsOf(row: SettingsRow) {
  return withDefaults(GenerationDefaultsSchema, DEFAULT_GENERATION_DEFAULTS, row.generation_defaults);
}

export async function readSnapshot(db: Db, options: { forUpdate?: boolean } = {}): Promise<SettingsSnapshot> {
  const [row, embedding, generation] = await Promise.all([
    readSettingsRow(db, options),
    findDefault(db, 'embedding'),
    findDefault(db, 'generation'),
  ]);
  return {
    version: Number(row.version),
    updated_at: row.updated_at.toISOString(),
    system: systemSettingsOf(row),
    llm: {
      default_embedding_model_id: embedding?.id ?? null,
      default_generation_model_id: generation?.id ?? null,
      generation_defaults: generationDefaultsOf(row),
    },
  };
}

/**
 * Records `config.updated` with the complete snapshot inside the caller's transaction
 * (after its changes). A change moves the version on; consumers ignore versions they have.
 */
export async function publishSettings(
  trx: Db,
  change:
    | { reason: 'changed'; scope: SettingsScope; changed_fields: string[] }
    | { reason: 'snapshot' /** Move the version to at least this (a restatement alone keeps it). */; bumpTo?: number },
  context: EventContext,
): Promise<SettingsSnapshot> {
  if (change.reason === 'changed') await bumpVersion(trx);
  else if (change.bumpTo !== undefined) await bumpVersion(trx, change.bumpTo);
  const snapshot = await readSnapshot(trx);
  await recordEvent(
    trx,
    ConfigUpdated,
    change.reason === 'changed'
      ? { ...snapshot, reason: 'changed', scope: change.scope, changed_fields: change.changed_fields }
      : { ...snapshot, reason: 'snapshot', changed_fields: [] },
    context,
  );
  return snapshot;
}
