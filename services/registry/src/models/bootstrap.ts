/**
 * First-start work, safe when several replicas start at once (one advisory lock):
 * register the built-in local models as defaults when no model exists, state the
 * initial settings on the stream, and re-encrypt API keys written with an old key.
 */
import { randomUUID } from 'node:crypto';
import { ModelCreated, ModelDefaultChanged, type ModelType, SYSTEM_ACTOR } from '@lumikb/contracts';
import { type Kysely, sql, type Transaction } from '@lumikb/db';
import { recordEvent } from '@lumikb/events';
import { LOCAL_EMBEDDING_MODEL, LOCAL_GENERATION_MODEL } from '@lumikb/llm';
import { recordAudit } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import { apiKeyContext, type SecretBox } from '../crypto/secret-box.ts';
import type { RegistryDatabase } from '../db/database.ts';
import { readSettingsRow } from '../settings/repository.ts';
import { publishSettings } from '../settings/snapshot.ts';
import { countModels, insertModel, lockDefaults, replaceCiphertext, rowsWithOldKeys } from './repository.ts';
import { SERVICE_NAME, toModelView } from './service.ts';
import { validateModelInput } from './validation.ts';

const context = { actor: SYSTEM_ACTOR };

const LOCAL_MODELS: { type: ModelType; name: string; model_id: string }[] = [
  { type: 'embedding', name: 'Built-in embedder (local)', model_id: LOCAL_EMBEDDING_MODEL.model_id },
  {
    type: 'generation',
    name: 'Built-in extractive answerer (local, no LLM)',
    model_id: LOCAL_GENERATION_MODEL.model_id,
  },
];

export interface BootstrapResult {
  registeredLocalModels: boolean;
  reencrypted: number;
  unreadable: number;
}

export async function bootstrapRegistry(options: {
  db: Kysely<RegistryDatabase>;
  secrets: SecretBox;
  registerLocalModels: boolean;
  logger: Logger;
}): Promise<BootstrapResult> {
  const { db, logger } = options;
  const registeredLocalModels = await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('registry.bootstrap'))`.execute(trx);
    let registered = false;
    if (options.registerLocalModels) {
      await lockDefaults(trx, 'embedding');
      await lockDefaults(trx, 'generation');
      if ((await countModels(trx)) === 0) {
        await registerLocalModels(trx);
        registered = true;
      }
    }
    const settings = await readSettingsRow(trx, { forUpdate: true });
    if (registered) {
      await publishSettings(
        trx,
        {
          reason: 'changed',
          scope: 'llm',
          changed_fields: ['llm.default_embedding_model_id', 'llm.default_generation_model_id'],
        },
        context,
      );
    } else if (Number(settings.version) === 0) {
      await publishSettings(trx, { reason: 'snapshot', bumpTo: 1 }, context);
    }
    return registered;
  });
  if (registeredLocalModels) logger.info('registered the built-in local models as the default models');

  const { reencrypted, unreadable } = await reencryptOldKeys(db, options.secrets);
  if (reencrypted > 0) logger.info({ reencrypted }, 're-encrypted stored API keys with the current encryption key');
  if (unreadable > 0) {
    logger.error(
      { unreadable },
      'some stored API keys were written with a key missing from ENCRYPTION_KEYS; add that key back or re-enter those API keys',
    );
  }
  return { registeredLocalModels, reencrypted, unreadable };
}

async function registerLocalModels(trx: Transaction<RegistryDatabase>): Promise<void> {
  for (const local of LOCAL_MODELS) {
    const normalized = validateModelInput({
      type: local.type,
      provider: 'local',
      model_id: local.model_id,
      api_endpoint: undefined,
      config: {},
      apiKey: { given: undefined },
    });
    const row = await insertModel(trx, {
      id: randomUUID(),
      type: local.type,
      provider: 'local',
      name: local.name,
      model_id: normalized.model_id,
      api_endpoint: null,
      config: normalized.config,
      status: 'active',
      is_default: true,
      api_key_ciphertext: null,
      api_key_key_id: null,
      sync_status: 'not_applicable',
    });
    const view = toModelView(row);
    await recordAudit(
      trx,
      SERVICE_NAME,
      { action: 'model.created', resourceType: 'llm_model', resourceId: row.id, newValue: view },
      context,
    );
    await recordEvent(trx, ModelCreated, { model: view }, context);
    await recordEvent(trx, ModelDefaultChanged, { type: row.type, model_id: row.id, previous_model_id: null }, context);
  }
}

/** Rewrites keys sealed with an older ENCRYPTION_KEYS entry under the current one. */
export async function reencryptOldKeys(
  db: Kysely<RegistryDatabase>,
  secrets: SecretBox,
): Promise<{ reencrypted: number; unreadable: number }> {
  let reencrypted = 0;
  let unreadable = 0;
  for (const row of await rowsWithOldKeys(db, secrets.currentKeyId)) {
    if (!row.api_key_ciphertext || !row.api_key_key_id) continue;
    if (!secrets.hasKey(row.api_key_key_id)) {
      unreadable++;
      continue;
    }
    try {
      const plaintext = secrets.open(
        { ciphertext: row.api_key_ciphertext, keyId: row.api_key_key_id },
        apiKeyContext(row.id),
      );
      await replaceCiphertext(db, row.id, row.api_key_key_id, secrets.seal(plaintext, apiKeyContext(row.id)));
      reencrypted++;
    } catch {
      unreadable++;
    }
  }
  return { reencrypted, unreadable };
}
