export * from './connection-test.ts';
export * from './errors.ts';
export {
  describeUrl,
  type OutboundGuard,
  providerMessage,
  requestJson,
  send,
  statusError,
  summariseReason,
} from './http.ts';
export * from './local/constants.ts';
export { cosine, hashEmbed, tokenize } from './local/embedder.ts';
export { EXTRACTIVE_NOTICE, extractiveAnswer } from './local/extractive.ts';
export * from './outbound.ts';
export * from './router.ts';
export * from './routing.ts';
export * from './types.ts';
