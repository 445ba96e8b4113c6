/** The built-in `local` provider's models: always available, no AI service needed. */
/**
 * The built-in embedder new installs and new KBs get (`hashEmbedV2`): analysed terms,
 * sublinear TF, 1,024 dimensions, two signed probes per feature.
 */
export const LOCAL_EMBEDDING_MODEL = { model_id: 'lumikb-hash-embed-v2', dimensions: 1024 } as const;
/**
 * The first built-in embedder (`hashEmbed`), kept unchanged for KBs embedded with it: a
 * KB's stored vectors only match queries embedded by the same function.
 */
export const LOCAL_EMBEDDING_MODEL_V1 = { model_id: 'lumikb-hash-embed-v1', dimensions: 384 } as const;
/** Every built-in embedding model, newest first. */
export const LOCAL_EMBEDDING_MODELS = [LOCAL_EMBEDDING_MODEL, LOCAL_EMBEDDING_MODEL_V1] as const;

/** The built-in embedding model of `model_id` (an unknown id is the v1 model, as every local model was before v2). */
export function localEmbeddingModel(modelId: string): (typeof LOCAL_EMBEDDING_MODELS)[number] {
  return LOCAL_EMBEDDING_MODELS.find((m) => m.model_id === modelId) ?? LOCAL_EMBEDDING_MODEL_V1;
}
export const LOCAL_GENERATION_MODEL = { model_id: 'lumikb-extractive-v1' } as const;
