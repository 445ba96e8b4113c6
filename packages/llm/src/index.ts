export * from './connection-test.ts';
export * from './errors.ts';
export * from './local/constants.ts';
export { cosine, hashEmbed, tokenize } from './local/embedder.ts';
export { EXTRACTIVE_NOTICE, extractiveAnswer } from './local/extractive.ts';
export * from './router.ts';
export * from './routing.ts';
export * from './types.ts';
