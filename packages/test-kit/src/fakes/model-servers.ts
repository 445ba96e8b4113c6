/** Fake model servers: LiteLLM proxy, Ollama, rerankers, and the cloud providers' native APIs. */
export * from './cloud-providers.ts';
export * from './litellm.ts';
export * from './model-server-kit.ts';
export * from './ollama.ts';
export * from './rerank.ts';
