/** The built-in `local` provider's models: always available, no AI service needed. */
export const LOCAL_EMBEDDING_MODEL = { model_id: 'lumikb-hash-embed-v1', dimensions: 384 } as const;
export const LOCAL_GENERATION_MODEL = { model_id: 'lumikb-extractive-v1' } as const;
