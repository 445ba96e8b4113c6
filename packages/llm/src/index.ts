export * from './connection-test.ts';
export * from './errors.ts';
export { describeUrl, providerMessage, requestJson, send, statusError } from './http.ts';
export * from './local/constants.ts';
export { cosine, hashEmbed, tokenize } from './local/embedder.ts';
export { EXTRACTIVE_NOTICE, extractiveAnswer } from './local/extractive.ts';
export * from './router.ts';
export * from './routing.ts';
export * from './types.ts';
