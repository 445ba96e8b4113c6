import {
  CommonConfigSchema,
  ConfigError,
  InfraConfigSchema,
  loadConfig,
  OutboundConfigSchema,
  portVariable,
} from '@lumikb/service-kit';
import { type Static, Type } from 'typebox';
import { type EncryptionKey, parseEncryptionKeys } from './crypto/secret-box.ts';

export const ConfigSchema = Type.Object({
  ...CommonConfigSchema,
  ...InfraConfigSchema,
  ...OutboundConfigSchema,
  PORT: portVariable(8082),
  ENCRYPTION_KEYS: Type.String({
    minLength: 1,
    description:
      'keys that encrypt stored API keys: "kid:base64-32-bytes[,oldkid:base64…]", the first encrypts, all decrypt; ' +
      'generate one with: echo "k1:$(openssl rand -base64 32)"',
  }),
  LITELLM_PROXY_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'LiteLLM proxy; when set, saved models that are synced are connection-tested through it',
    }),
  ),
  LITELLM_MASTER_KEY: Type.Optional(Type.String({ minLength: 1, description: 'master key of the LiteLLM proxy' })),
  CONNECTION_TEST_TIMEOUT_MS: Type.Integer({
    default: 5_000,
    minimum: 100,
    maximum: 5_000,
    description: 'hard limit of one connection test (at most 5 s)',
  }),
  REGISTER_LOCAL_MODELS: Type.Boolean({
    default: true,
    description: 'register the built-in local models as defaults on first start when no model exists',
  }),
  SETTINGS_SNAPSHOT_CHECK_MS: Type.Integer({
    default: 60_000,
    minimum: 1_000,
    description: 'how often to check that the last config.updated on the stream states the current settings',
  }),
});
export type Config = Static<typeof ConfigSchema> & { encryptionKeys: EncryptionKey[] };

/** Parsed once at start-up; the only place this service reads the environment. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const config = loadConfig('registry', ConfigSchema, env);
  const parsed = parseEncryptionKeys(config.ENCRYPTION_KEYS);
  if (!parsed.ok) throw new ConfigError('registry', parsed.problems);
  return { ...config, encryptionKeys: parsed.keys };
}
