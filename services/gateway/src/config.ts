import { CommonConfigSchema, InfraConfigSchema, loadConfig, portVariable } from '@lumikb/service-kit';
import { type Static, Type } from 'typebox';

const url = (fallback: string, description: string) =>
  Type.String({ default: fallback, pattern: '^https?://', description });

export const ConfigSchema = Type.Object({
  ...CommonConfigSchema,
  // Postgres holds the rate-limit counters every replica shares; NATS brings the live settings.
  ...InfraConfigSchema,
  PORT: portVariable(8080),
  AUTH_URL: url('http://127.0.0.1:8081', 'auth service'),
  REGISTRY_URL: url('http://127.0.0.1:8082', 'registry service'),
  KB_URL: url('http://127.0.0.1:8083', 'knowledge-base service'),
  PROXY_SYNC_URL: url('http://127.0.0.1:8085', 'proxy-sync service'),
  WEB_DIST: Type.String({
    default: '',
    description: 'folder of the built SPA (default: web/dist, else a placeholder)',
  }),
  MAX_BODY_BYTES: Type.Integer({
    default: 1024 * 1024,
    minimum: 1024,
    description:
      'largest non-upload API body (every service refuses more); multipart uploads are limited by the KB service',
  }),
  PUBLIC_ORIGINS: Type.String({
    default: '',
    description:
      'comma-separated origins the web app is served from (https://kb.example.com); cookie-authenticated ' +
      'writes from any other Origin get 403 CSRF_ORIGIN_MISMATCH. Empty = the origin each request was sent to',
  }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ default: 300_000, minimum: 1_000, description: 'long enough for streamed chat' }),
});
export type Config = Static<typeof ConfigSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig('gateway', ConfigSchema, env);
}
