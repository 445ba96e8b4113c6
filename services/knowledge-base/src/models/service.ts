/** Choosing and validating the models a KB uses, from the local projection. */
import type { ModelType } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import type { LlmModel } from '@lumikb/llm';
import type { Distance } from '@lumikb/vector-store';
import type { KnowledgeBaseDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { findDefaultModel, findModel, type ProjectedModel } from './repository.ts';

export interface EmbeddingSpec {
  dimensions: number;
  distance: Distance;
  batchSize: number;
}

const DISTANCES: readonly Distance[] = ['cosine', 'dot', 'euclidean'];

/** Vector size and metric of an embedding model; refuses a config that cannot make a collection. */
export function embeddingSpecOf(model: ProjectedModel): EmbeddingSpec {
  const {
    dimensions,
    distance_metric: distance = 'cosine',
    batch_size: batchSize = 32,
  } = model.config as {
    dimensions?: unknown;
    distance_metric?: unknown;
    batch_size?: unknown;
  };
  if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65_536) {
    throw errors.MODEL_CONFIG_INVALID(`Embedding model "${model.name}" has no valid config.dimensions`, {
      model_id: model.id,
    });
  }
  if (!DISTANCES.includes(distance as Distance)) {
    throw errors.MODEL_CONFIG_INVALID(`Embedding model "${model.name}" has an unknown distance_metric`, {
      model_id: model.id,
      distance_metric: distance,
    });
  }
  const batch = typeof batchSize === 'number' && Number.isInteger(batchSize) && batchSize > 0 ? batchSize : 32;
  return { dimensions, distance: distance as Distance, batchSize: batch };
}

/**
 * The model to use for `type`: the one asked for (it must exist, be of that type and be
 * active) or the default when none is given.
 */
export async function resolveModel(
  db: Kysely<KnowledgeBaseDatabase>,
  type: ModelType,
  id: string | undefined,
  field = `${type}_model_id`,
): Promise<ProjectedModel> {
  if (id === undefined) {
    const fallback = await findDefaultModel(db, type);
    if (!fallback) {
      throw errors.NO_DEFAULT_MODEL(
        `No ${field} was given and no active default ${type} model is registered; choose one or set a default`,
        { field },
      );
    }
    return fallback;
  }
  const model = await findModel(db, id);
  if (!model) throw errors.MODEL_NOT_FOUND(`The ${type} model ${id} is not registered`, { field, model_id: id });
  if (model.type !== type) {
    throw errors.MODEL_TYPE_MISMATCH(`Model "${model.name}" is a ${model.type} model, not a ${type} model`, {
      field,
      model_id: id,
      type: model.type,
    });
  }
  if (model.status !== 'active') {
    throw errors.MODEL_INACTIVE(`Model "${model.name}" is ${model.status}; only active models can be selected`, {
      field,
      model_id: id,
      status: model.status,
    });
  }
  return model;
}

export function toLlmModel(model: ProjectedModel): LlmModel {
  return {
    id: model.id,
    type: model.type,
    provider: model.provider,
    model_id: model.model_id,
    api_endpoint: model.api_endpoint,
    config: model.config,
  };
}

/** What the API shows about a model a KB uses (null when the registry deleted it). */
export function modelSummary(model: ProjectedModel | undefined) {
  if (!model) return null;
  return {
    id: model.id,
    name: model.name,
    type: model.type,
    provider: model.provider,
    model_id: model.model_id,
    status: model.status,
    is_default: model.is_default,
    config: model.config,
  };
}

/** A KB's rerank model: registered, of type rerank, active (400 MODEL_NOT_FOUND / MODEL_TYPE_MISMATCH / MODEL_INACTIVE). */
export async function resolveRerankModel(db: Kysely<KnowledgeBaseDatabase>, id: string): Promise<ProjectedModel> {
  return resolveModel(db, 'rerank', id, 'config_overrides.rerank.model_id');
}
