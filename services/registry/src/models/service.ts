/**
 * Model registry rules: provider-validated models with encrypted keys, one active
 * default per type, no deletion or vector-shape change while knowledge bases depend on
 * a model, connection tests with a hard limit. Every change commits together with its
 * audit record and its `model.*` event.
 */
import { randomUUID } from 'node:crypto';
import {
  ModelCreated,
  ModelDefaultChanged,
  ModelDeleted,
  type ModelStatus,
  type ModelType,
  ModelUpdated,
  type ModelView,
  type Provider,
} from '@lumikb/contracts';
import type { Kysely, Transaction } from '@lumikb/db';
import { type EventContext, recordEvent } from '@lumikb/events';
import {
  type ConnectionTestResult,
  type LiteLlmTarget,
  type LlmModel,
  OUTBOUND_TARGET_REFUSED,
  type OutboundPolicy,
} from '@lumikb/llm';
import { recordAudit } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import { apiKeyContext, type SecretBox, SecretUnreadableError } from '../crypto/secret-box.ts';
import type { RegistryDatabase, SyncStatus } from '../db/database.ts';
import { errors } from '../errors.ts';
import { publishSettings } from '../settings/snapshot.ts';
import { type KbUse, kbCounts, kbsUsingModel, kbsWithOtherDimensions } from '../usage/repository.ts';
import { type ConnectionTester, runConnectionTest } from './connection-test.ts';
import {
  type Db,
  deleteModel,
  findDefault,
  findModel,
  insertModel,
  isUniqueViolation,
  listByStatus,
  listModels,
  lockDefaults,
  type ModelFilter,
  type ModelPatch,
  type ModelRow,
  recordTestResult,
  setDefaultFlag,
  updateModel,
} from './repository.ts';
import type {
  AdminModel,
  ConnectionTestResponse,
  ModelCreate,
  ModelTestRequest,
  ModelUpdate,
  Warning,
} from './schemas.ts';
import { type NormalizedModel, validateModelInput } from './validation.ts';

export const SERVICE_NAME = 'registry';

/** What the model operations need: the service context, or the part of it they use. */
export interface ModelsContext {
  db: Kysely<RegistryDatabase>;
  secrets: SecretBox;
  tester: ConnectionTester;
  testTimeoutMs: number;
  litellm?: LiteLlmTarget | undefined;
  /** The fence around the endpoints tested (own services, metadata, private ranges). */
  outbound?: OutboundPolicy | undefined;
  logger: Logger;
}

/** A target the outbound policy refused is the caller's mistake, not a failed test. */
function refuseFencedTarget(result: ConnectionTestResult): void {
  if (result.details.code !== OUTBOUND_TARGET_REFUSED) return;
  throw errors.OUTBOUND_TARGET_REFUSED(result.message, {
    ...(typeof result.details.reason === 'string' ? { reason: result.details.reason } : {}),
  });
}

/** Changing these on an embedding model would make the vectors of its KBs meaningless. */
const VECTOR_SHAPE_FIELDS = ['model_id', 'config.dimensions', 'config.distance_metric'];

export function syncStatusFor(provider: Provider, status: ModelStatus): SyncStatus {
  return provider === 'local' || status === 'inactive' ? 'not_applicable' : 'pending';
}

export function toModelView(row: ModelRow): ModelView {
  return {
    id: row.id,
    type: row.type,
    // The contract's Provider union is built with .map, so TypeScript sees `never` there.
    provider: row.provider as never,
    name: row.name,
    model_id: row.model_id,
    api_endpoint: row.api_endpoint,
    config: row.config,
    status: row.status,
    is_default: row.is_default,
    has_api_key: row.api_key_ciphertext !== null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function toAdminModel(row: ModelRow, kbCount: number): AdminModel {
  return {
    ...toModelView(row),
    provider: row.provider,
    last_test:
      row.last_tested_at && row.last_test_success !== null
        ? {
            tested_at: row.last_tested_at.toISOString(),
            success: row.last_test_success,
            latency_ms: row.last_test_latency_ms ?? 0,
            message: row.last_test_message ?? '',
          }
        : null,
    sync_status: row.sync_status,
    sync_error: row.sync_error,
    synced_at: row.synced_at?.toISOString() ?? null,
    kb_count: kbCount,
  };
}

const toLlmModel = (m: { id: string; type: ModelType; provider: Provider } & NormalizedModel): LlmModel => ({
  id: m.id,
  type: m.type,
  provider: m.provider,
  model_id: m.model_id,
  api_endpoint: m.api_endpoint,
  config: m.config,
});

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function list(ctx: ModelsContext, filter: ModelFilter, page: { limit: number; offset: number }) {
  const { rows, total } = await listModels(ctx.db, filter, page);
  const counts = await kbCounts(
    ctx.db,
    rows.map((r) => r.id),
  );
  return { items: rows.map((r) => toAdminModel(r, counts.get(r.id) ?? 0)), total, ...page };
}

export async function get(ctx: ModelsContext, id: string) {
  const [row, usedBy] = await Promise.all([mustFind(ctx.db, id), kbsUsingModel(ctx.db, id)]);
  return {
    ...toAdminModel(row, usedBy.length),
    used_by: usedBy.map(({ id, name, role, dimensions, distance_metric }) => ({
      id,
      name,
      role,
      dimensions,
      distance_metric,
    })),
  };
}

export async function create(ctx: ModelsContext, input: ModelCreate, context: EventContext): Promise<AdminModel> {
  const normalized = validateModelInput({
    type: input.type,
    provider: input.provider,
    model_id: input.model_id,
    api_endpoint: input.api_endpoint,
    config: input.config ?? {},
    apiKey: { given: input.api_key },
  });
  const id = randomUUID();
  const sealed = normalized.api_key ? ctx.secrets.seal(normalized.api_key, apiKeyContext(id)) : undefined;
  const status = input.status ?? 'active';
  return inTransaction(ctx, async (trx) => {
    // The first active model of a type becomes its default, so there always is one.
    await lockDefaults(trx, input.type);
    const becomesDefault = status === 'active' && !(await findDefault(trx, input.type));
    const row = await insertModel(trx, {
      id,
      type: input.type,
      provider: input.provider,
      name: input.name.trim(),
      model_id: normalized.model_id,
      api_endpoint: normalized.api_endpoint,
      config: normalized.config,
      status,
      is_default: becomesDefault,
      api_key_ciphertext: sealed?.ciphertext ?? null,
      api_key_key_id: sealed?.keyId ?? null,
      sync_status: syncStatusFor(input.provider, status),
    }).catch((error) => nameTaken(error, input.type, input.name));
    const view = toModelView(row);
    await recordAudit(
      trx,
      SERVICE_NAME,
      { action: 'model.created', resourceType: 'llm_model', resourceId: id, newValue: view },
      context,
    );
    await recordEvent(trx, ModelCreated, { model: view }, context);
    if (becomesDefault) await announceDefault(trx, row, null, context);
    return toAdminModel(row, 0);
  });
}

export async function update(
  ctx: ModelsContext,
  id: string,
  input: ModelUpdate,
  context: EventContext,
): Promise<AdminModel> {
  return inTransaction(ctx, async (trx) => {
    const row = await mustFind(trx, id, true);
    const config = { ...row.config };
    for (const [key, value] of Object.entries(input.config ?? {})) {
      if (value === null) delete config[key];
      else config[key] = value;
    }
    const endpoint = input.api_endpoint !== undefined ? input.api_endpoint : row.api_endpoint;
    const hasStoredKey = row.api_key_ciphertext !== null;
    const normalized = validateModelInput({
      type: row.type,
      provider: row.provider,
      model_id: input.model_id ?? row.model_id,
      api_endpoint: endpoint,
      config,
      apiKey:
        input.api_key === undefined
          ? { stored: hasStoredKey }
          : input.api_key === null
            ? { stored: false }
            : { given: input.api_key },
    });
    if (hasStoredKey && input.api_key === undefined && normalized.api_endpoint !== row.api_endpoint) {
      // The stored key is never sent to an address it was not entered for.
      throw errors.INVALID_MODEL_CONFIG('Enter the API key again when changing the endpoint', {
        problems: [
          {
            field: 'api_key',
            rule: 'required',
            message: 'The stored API key is only used with the endpoint it was entered for; enter it again',
          },
        ],
      });
    }
    const status = input.status ?? row.status;
    const name = input.name?.trim() ?? row.name;

    const changed: string[] = [];
    if (name !== row.name) changed.push('name');
    if (normalized.model_id !== row.model_id) changed.push('model_id');
    if (normalized.api_endpoint !== row.api_endpoint) changed.push('api_endpoint');
    for (const key of [...new Set([...Object.keys(row.config), ...Object.keys(normalized.config)])]) {
      if (!isEqual(row.config[key], normalized.config[key])) changed.push(`config.${key}`);
    }
    if (status !== row.status) changed.push('status');
    if (input.api_key !== undefined && (input.api_key !== null || hasStoredKey)) changed.push('api_key');
    if (changed.length === 0) return adminView(trx, row);

    if (row.is_default && status !== 'active') {
      throw errors.DEFAULT_MODEL_REQUIRED(
        `"${row.name}" is the default ${row.type} model; make another model the default before changing its status to ${status}`,
        { model_id: row.id, type: row.type },
      );
    }
    if (row.type === 'embedding') {
      const shapeChanges = changed.filter((f) => VECTOR_SHAPE_FIELDS.includes(f));
      if (shapeChanges.length > 0) {
        const users = (await kbsUsingModel(trx, id)).filter((k) => k.role === 'embedding');
        if (users.length > 0) throw inUse(row, users, `change ${shapeChanges.join(', ')} of`, shapeChanges);
      }
    }

    const patch: ModelPatch = {
      name,
      model_id: normalized.model_id,
      api_endpoint: normalized.api_endpoint,
      config: normalized.config,
      status,
      updated_at: new Date(),
    };
    if (normalized.api_key !== undefined) {
      const sealed = ctx.secrets.seal(normalized.api_key, apiKeyContext(id));
      patch.api_key_ciphertext = sealed.ciphertext;
      patch.api_key_key_id = sealed.keyId;
    } else if (input.api_key === null) {
      patch.api_key_ciphertext = null;
      patch.api_key_key_id = null;
    }
    if (changed.some((f) => f !== 'name')) {
      patch.sync_status = syncStatusFor(row.provider, status);
      patch.sync_error = null;
    }
    const updated = await updateModel(trx, id, patch).catch((error) => nameTaken(error, row.type, name));
    const before = toModelView(row);
    const after = toModelView(updated);
    await recordAudit(
      trx,
      SERVICE_NAME,
      {
        action: 'model.updated',
        resourceType: 'llm_model',
        resourceId: id,
        oldValue: before,
        newValue: { ...after, changed_fields: changed },
      },
      context,
    );
    await recordEvent(trx, ModelUpdated, { model: after, changed_fields: changed }, context);
    return adminView(trx, updated);
  });
}

export async function remove(ctx: ModelsContext, id: string, context: EventContext): Promise<void> {
  await inTransaction(ctx, async (trx) => {
    const row = await mustFind(trx, id, true);
    if (row.is_default) {
      throw errors.DEFAULT_MODEL_REQUIRED(
        `"${row.name}" is the default ${row.type} model; make another model the default before deleting it`,
        { model_id: row.id, type: row.type },
      );
    }
    const users = await kbsUsingModel(trx, id);
    if (users.length > 0) throw inUse(row, users, 'delete');
    await deleteModel(trx, id);
    await recordAudit(
      trx,
      SERVICE_NAME,
      { action: 'model.deleted', resourceType: 'llm_model', resourceId: id, oldValue: toModelView(row) },
      context,
    );
    await recordEvent(trx, ModelDeleted, { id, type: row.type, provider: row.provider as never }, context);
  });
}

export async function setDefault(
  ctx: ModelsContext,
  id: string,
  context: EventContext,
): Promise<AdminModel & { warnings: Warning[] }> {
  return inTransaction(ctx, async (trx) => {
    const { row, warnings } = await makeDefault(trx, id, undefined, context);
    return { ...(await adminView(trx, row)), warnings };
  });
}

/**
 * Makes a model the default of its type inside the caller's transaction, announcing it
 * as `model.default_changed` and `config.updated` (unless `announce` is false, when the
 * caller publishes one settings change for several edits).
 */
export async function makeDefault(
  trx: Transaction<RegistryDatabase>,
  id: string,
  expectedType: ModelType | undefined,
  context: EventContext,
  announce = true,
): Promise<{ row: ModelRow; changed: boolean; warnings: Warning[] }> {
  const peek = await mustFind(trx, id);
  if (expectedType && peek.type !== expectedType) {
    throw errors.MODEL_TYPE_MISMATCH(`"${peek.name}" is a ${peek.type} model, not a ${expectedType} model`, {
      model_id: id,
      type: peek.type,
      expected_type: expectedType,
    });
  }
  await lockDefaults(trx, peek.type);
  const row = await mustFind(trx, id, true);
  if (row.status !== 'active') {
    throw errors.MODEL_NOT_ACTIVE(`"${row.name}" is ${row.status}; only an active model can be the default`, {
      model_id: id,
      status: row.status,
    });
  }
  const warnings = row.type === 'embedding' ? await dimensionWarnings(trx, row) : [];
  if (row.is_default) return { row, changed: false, warnings };
  const previous = await findDefault(trx, row.type);
  const updated = await setDefaultFlag(trx, row.type, id);
  await announceDefault(trx, updated, previous ?? null, context, announce);
  return { row: updated, changed: true, warnings };
}

async function announceDefault(
  trx: Transaction<RegistryDatabase>,
  row: ModelRow,
  previous: ModelRow | null,
  context: EventContext,
  publish = true,
): Promise<void> {
  await recordAudit(
    trx,
    SERVICE_NAME,
    {
      action: 'model.default_changed',
      resourceType: 'llm_model',
      resourceId: row.id,
      oldValue: { type: row.type, default_model_id: previous?.id ?? null, name: previous?.name ?? null },
      newValue: { type: row.type, default_model_id: row.id, name: row.name },
    },
    context,
  );
  await recordEvent(
    trx,
    ModelDefaultChanged,
    { type: row.type, model_id: row.id, previous_model_id: previous?.id ?? null },
    context,
  );
  if (publish) {
    await publishSettings(
      trx,
      { reason: 'changed', scope: 'llm', changed_fields: [`llm.default_${row.type}_model_id`] },
      context,
    );
  }
}

/** Knowledge bases whose vectors have another size than the given embedding model's. */
export async function dimensionWarnings(db: Db, row: ModelRow): Promise<Warning[]> {
  const dimensions = Number(row.config.dimensions);
  const differing = await kbsWithOtherDimensions(db, dimensions);
  if (differing.length === 0) return [];
  return [
    {
      code: 'EMBEDDING_DIMENSION_MISMATCH',
      message:
        `${differing.length} knowledge base${differing.length === 1 ? ' uses' : 's use'} vectors of another size than ` +
        `"${row.name}" (${dimensions} dimensions): ${differing.map((k) => `${k.name} (${k.dimensions})`).join(', ')}. ` +
        'They keep their own embedding model; only new knowledge bases use the new default.',
      knowledge_bases: differing,
    },
  ];
}

export async function testSaved(ctx: ModelsContext, id: string): Promise<ConnectionTestResponse> {
  const row = await mustFind(ctx.db, id);
  const apiKey = decryptKey(ctx, row);
  // The tester goes through the proxy only when the proxy already holds this model.
  const viaProxy = ctx.litellm && row.provider !== 'local';
  const result = await runConnectionTest(ctx.tester, toLlmModel(row), apiKey, {
    timeoutMs: ctx.testTimeoutMs,
    ...(viaProxy ? { litellm: ctx.litellm } : {}),
    ...(ctx.outbound ? { outbound: ctx.outbound } : {}),
  });
  refuseFencedTarget(result);
  const testedAt = new Date();
  await recordTestResult(ctx.db, id, { tested_at: testedAt, ...result });
  return { ...result, tested_at: testedAt.toISOString() };
}

export async function testUnsaved(ctx: ModelsContext, input: ModelTestRequest): Promise<ConnectionTestResponse> {
  let stored: ModelRow | undefined;
  if (input.reuse_api_key_from && (input.api_key === undefined || input.api_key === null)) {
    stored = await mustFind(ctx.db, input.reuse_api_key_from);
  }
  const normalized = validateModelInput({
    type: input.type,
    provider: input.provider,
    model_id: input.model_id,
    api_endpoint: input.api_endpoint,
    config: input.config ?? {},
    apiKey: stored ? { stored: stored.api_key_ciphertext !== null } : { given: input.api_key },
  });
  let apiKey = normalized.api_key;
  if (stored && stored.api_key_ciphertext !== null) {
    if (stored.provider !== input.provider || stored.api_endpoint !== normalized.api_endpoint) {
      throw errors.INVALID_MODEL_CONFIG('Enter the API key again to test another provider or endpoint', {
        problems: [
          {
            field: 'api_key',
            rule: 'required',
            message: 'A stored API key is only used with the provider and endpoint it was entered for',
          },
        ],
      });
    }
    apiKey = decryptKey(ctx, stored);
  }
  const result = await runConnectionTest(
    ctx.tester,
    toLlmModel({ id: stored?.id ?? randomUUID(), type: input.type, provider: input.provider, ...normalized }),
    apiKey,
    {
      timeoutMs: ctx.testTimeoutMs,
      ...(ctx.outbound ? { outbound: ctx.outbound } : {}),
    },
  );
  refuseFencedTarget(result);
  return { ...result, tested_at: new Date().toISOString() };
}

/** Health of every active model: the last test, or a fresh one of each (concurrently) on request. */
export async function health(ctx: ModelsContext, probe: boolean) {
  let rows = await listByStatus(ctx.db, 'active');
  if (probe) {
    await mapLimit(rows, 8, (row) => testSaved(ctx, row.id).catch(() => undefined));
    rows = await listByStatus(ctx.db, 'active');
  }
  const models = rows.map((row) => {
    const view = toAdminModel(row, 0);
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      provider: row.provider,
      is_default: row.is_default,
      health: view.last_test
        ? view.last_test.success
          ? ('healthy' as const)
          : ('unhealthy' as const)
        : ('unknown' as const),
      last_test: view.last_test,
      sync_status: row.sync_status,
    };
  });
  return {
    checked_at: new Date().toISOString(),
    probed: probe,
    healthy: models.filter((m) => m.health === 'healthy').length,
    unhealthy: models.filter((m) => m.health === 'unhealthy').length,
    unknown: models.filter((m) => m.health === 'unknown').length,
    models,
  };
}

export async function available(ctx: ModelsContext, type: ModelType | undefined) {
  const rows = await listByStatus(ctx.db, 'active', type);
  return {
    items: rows.map((r) => {
      const test = toAdminModel(r, 0).last_test;
      return {
        id: r.id,
        type: r.type,
        provider: r.provider,
        name: r.name,
        model_id: r.model_id,
        config: r.config,
        is_default: r.is_default,
        health: test ? (test.success ? ('healthy' as const) : ('unhealthy' as const)) : ('unknown' as const),
        health_message: test?.message ?? null,
        health_checked_at: test?.tested_at ?? null,
      };
    }),
  };
}

/** The only way a decrypted key leaves the registry: to service identities (proxy-sync). */
export async function credentials(ctx: ModelsContext, id: string) {
  const row = await mustFind(ctx.db, id);
  return { ...toModelView(row), provider: row.provider, api_key: decryptKey(ctx, row) ?? null };
}

export async function credentialsList(ctx: ModelsContext, status: ModelStatus | undefined) {
  const rows = await listByStatus(ctx.db, status);
  return {
    items: rows.map((row) => {
      try {
        return { ...toModelView(row), provider: row.provider, api_key: decryptKey(ctx, row) ?? null };
      } catch (error) {
        // One unreadable key must not stop the others from syncing.
        return {
          ...toModelView(row),
          provider: row.provider,
          api_key: null,
          credentials_error: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  };
}

function decryptKey(ctx: ModelsContext, row: ModelRow): string | undefined {
  if (row.api_key_ciphertext === null || row.api_key_key_id === null) return undefined;
  try {
    return ctx.secrets.open({ ciphertext: row.api_key_ciphertext, keyId: row.api_key_key_id }, apiKeyContext(row.id));
  } catch (error) {
    if (error instanceof SecretUnreadableError) {
      ctx.logger.error({ modelId: row.id, keyId: error.keyId }, 'stored API key cannot be decrypted');
      throw errors.CREDENTIALS_UNREADABLE(`The API key of "${row.name}" cannot be decrypted: ${error.message}`);
    }
    throw error;
  }
}

async function adminView(db: Db, row: ModelRow): Promise<AdminModel> {
  const counts = await kbCounts(db, [row.id]);
  return toAdminModel(row, counts.get(row.id) ?? 0);
}

async function mustFind(db: Db, id: string, forUpdate = false): Promise<ModelRow> {
  const row = await findModel(db, id, { forUpdate });
  if (!row) throw errors.MODEL_NOT_FOUND(`Model ${id} does not exist`, { model_id: id });
  return row;
}

function inUse(row: ModelRow, users: KbUse[], action: string, fields?: string[]) {
  const names = users.map((u) => u.name).join(', ');
  return errors.MODEL_IN_USE(
    `Cannot ${action} "${row.name}": used by ${users.length} knowledge base${users.length === 1 ? '' : 's'} (${names})`,
    {
      model_id: row.id,
      ...(fields ? { fields } : {}),
      knowledge_bases: users.map((u) => ({ id: u.id, name: u.name, role: u.role })),
    },
  );
}

function nameTaken(error: unknown, type: ModelType, name: string): never {
  if (isUniqueViolation(error, 'llm_models_name_per_type')) {
    throw errors.MODEL_NAME_TAKEN(`A ${type} model named "${name.trim()}" already exists`, {
      name: name.trim(),
      type,
    });
  }
  throw error;
}

function inTransaction<T>(ctx: ModelsContext, work: (trx: Transaction<RegistryDatabase>) => Promise<T>): Promise<T> {
  return ctx.db.transaction().execute(work);
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}
