export * from './citations.ts';
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
export { cosine, hashEmbed, hashEmbedV2, localEmbed, tokenize } from './local/embedder.ts';
export {
  EXTRACTIVE_NOTICE,
  extractiveAnswer,
  NO_PASSAGES_ANSWER,
  NOT_CONTAINED_ANSWER,
  RELEVANCE_THRESHOLD,
} from './local/extractive.ts';
export * from './outbound.ts';
export * from './rerank.ts';
export * from './router.ts';
export * from './routing.ts';
export * from './types.ts';
