import {
  CommonConfigSchema,
  ConfigError,
  InfraConfigSchema,
  loadConfig,
  OutboundConfigSchema,
  portVariable,
} from '@lumikb/service-kit';
import { type Static, Type } from 'typebox';

const url = (description: string) => Type.String({ pattern: '^https?://', description });

export const ConfigSchema = Type.Object({
  ...CommonConfigSchema,
  ...InfraConfigSchema,
  // Before REGISTRY_URL and AUTH_URL below, which this service also calls (their descriptions win).
  ...OutboundConfigSchema,
  PORT: portVariable(8085),
  LITELLM_PROXY_URL: Type.Optional(
    url('LiteLLM proxy to mirror active models into (STORE_MODEL_IN_DB on); unset = the service idles'),
  ),
  LITELLM_MASTER_KEY: Type.Optional(Type.String({ minLength: 1, description: 'master key of the LiteLLM proxy' })),
  LITELLM_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, description: 'limit of one call to the proxy' }),
  OLLAMA_URL_FOR_PROXY: Type.Optional(
    url('Ollama URL as the proxy sees it (e.g. http://host.docker.internal:11434); overrides the model endpoint'),
  ),
  LMSTUDIO_URL_FOR_PROXY: Type.Optional(
    url('LM Studio URL as the proxy sees it (e.g. http://host.docker.internal:1234/v1); overrides the model endpoint'),
  ),
  REGISTRY_URL: Type.String({
    default: 'http://127.0.0.1:8082',
    pattern: '^https?://',
    description: 'registry service (internal credentials API)',
  }),
  AUTH_URL: Type.String({
    default: 'http://127.0.0.1:8081',
    pattern: '^https?://',
    description: 'auth service (service tokens)',
  }),
  SERVICE_CLIENT_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description: 'shared secret exchanged at auth for a service token (required with LITELLM_PROXY_URL)',
    }),
  ),
  REGISTRY_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 100 }),
  SYNC_RETRY_MIN_MS: Type.Integer({ default: 1_000, minimum: 10, description: 'first retry delay of a failed sync' }),
  SYNC_RETRY_MAX_MS: Type.Integer({ default: 60_000, minimum: 10, description: 'longest retry delay' }),
  RECONCILE_INTERVAL_MS: Type.Integer({
    default: 300_000,
    minimum: 0,
    description: 'periodic full reconcile that repairs drift (0 = only at start and on demand)',
  }),
});
export type Config = Static<typeof ConfigSchema>;

/** Parsed once at start-up; the only place this service reads the environment. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const config = loadConfig('proxy-sync', ConfigSchema, env);
  const problems: string[] = [];
  if (config.LITELLM_PROXY_URL && !config.SERVICE_CLIENT_SECRET) {
    problems.push(
      'SERVICE_CLIENT_SECRET is required when LITELLM_PROXY_URL is set (credentials come from the registry, for service identities only)',
    );
  }
  if (config.SYNC_RETRY_MAX_MS < config.SYNC_RETRY_MIN_MS) {
    problems.push('SYNC_RETRY_MAX_MS must not be below SYNC_RETRY_MIN_MS');
  }
  if (problems.length > 0) throw new ConfigError('proxy-sync', problems);
  return config;
}
