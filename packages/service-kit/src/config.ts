/**
 * Environment configuration, parsed once at start-up against a TypeBox schema.
 * Every missing or invalid variable is reported together, so an operator fixes all of
 * them in one go instead of one per restart.
 */
import { type Static, type TObject, type TProperties, Type } from 'typebox';
import { Value } from 'typebox/value';

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<T extends TObject>(
  service: string,
  schema: T,
  env: Record<string, string | undefined> = process.env,
): Static<T> {
  const problems: string[] = [];
  const result: Record<string, unknown> = {};
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties as TProperties)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      const fallback = (property as { default?: unknown }).default;
      if (fallback !== undefined) result[name] = fallback;
      else if (required.has(name)) problems.push(`${name} is required${describe(property)}`);
      continue;
    }
    const value = Value.Convert(property, raw);
    if (!Value.Check(property, value)) {
      const why = [...Value.Errors(property, value)].map((e) => e.message).join(', ');
      problems.push(`${name}=${redactIfSecret(name, raw)} is invalid: ${why}${describe(property)}`);
      continue;
    }
    result[name] = value;
  }
  if (problems.length > 0) throw new ConfigError(service, problems);
  return result as Static<T>;
}

function describe(property: unknown): string {
  const d = (property as { description?: string }).description;
  return d ? ` (${d})` : '';
}

function redactIfSecret(name: string, raw: string): string {
  return /KEY|SECRET|PASSWORD|TOKEN/i.test(name) ? '[redacted]' : JSON.stringify(raw);
}

/** Variables every service reads. Services extend this with their own. */
export const CommonConfigSchema = {
  HOST: Type.String({ default: '0.0.0.0', description: 'interface to listen on' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  JWT_PUBLIC_KEY: Type.String({ minLength: 1, description: 'PEM of the Ed25519 key that signs access tokens' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 0 }),
  TRUSTED_PROXIES: Type.String({
    default: '',
    pattern: '^[0-9A-Za-z.:/, ]*$',
    description:
      'comma-separated IPs/CIDRs (or loopback, linklocal, uniquelocal) of the proxies in front of this ' +
      'service whose X-Forwarded-For is believed; empty = none, the socket address is the client',
  }),
};

/**
 * Fastify's `trustProxy` from TRUSTED_PROXIES: false when empty, else the list (the client
 * address is then the right-most X-Forwarded-For entry not sent by a listed proxy).
 */
export function trustedProxies(value: string | undefined): false | string {
  const list = (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  return list.length > 0 ? list.join(',') : false;
}

/** Variables of services that own a schema and talk over NATS. */
export const InfraConfigSchema = {
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://', description: 'postgres://user@host:5432/lumikb' }),
  NATS_URL: Type.String({ pattern: '^(nats|tls)://', description: 'nats://127.0.0.1:4222' }),
  NATS_PREFIX: Type.String({ default: '', pattern: '^[a-z0-9]*$', description: 'isolates subjects and streams' }),
};

const serviceUrl = (defaultUrl: string, what: string) =>
  Type.String({ default: defaultUrl, pattern: '^https?://', description: `${what} (never a model endpoint)` });

/**
 * Services that call targets an admin chose (model endpoints, the LiteLLM proxy): the
 * platform's own addresses, which the outbound policy refuses, and the hosts an admin
 * lets such calls reach on loopback or private networks. Defaults are `pnpm start`'s.
 */
export const OutboundConfigSchema = {
  GATEWAY_URL: serviceUrl('http://127.0.0.1:8080', 'gateway'),
  AUTH_URL: serviceUrl('http://127.0.0.1:8081', 'auth service'),
  REGISTRY_URL: serviceUrl('http://127.0.0.1:8082', 'registry service'),
  KB_URL: serviceUrl('http://127.0.0.1:8083', 'knowledge-base service'),
  INGESTION_WORKER_URL: serviceUrl('http://127.0.0.1:8084', 'ingestion worker'),
  PROXY_SYNC_URL: serviceUrl('http://127.0.0.1:8085', 'proxy-sync service'),
  OUTBOUND_ALLOW_HOSTS: Type.String({
    default: '',
    description:
      'comma-separated host names, addresses or CIDR ranges that model endpoints of any provider may reach even ' +
      'when loopback or private (Ollama, LM Studio and custom endpoints may always); never link-local, metadata ' +
      'or the services above',
  }),
};

/** The base URLs of the platform's own services, from a config holding OutboundConfigSchema. */
export function ownServiceUrls(config: {
  GATEWAY_URL: string;
  AUTH_URL: string;
  REGISTRY_URL: string;
  KB_URL: string;
  INGESTION_WORKER_URL: string;
  PROXY_SYNC_URL: string;
}): string[] {
  return [
    config.GATEWAY_URL,
    config.AUTH_URL,
    config.REGISTRY_URL,
    config.KB_URL,
    config.INGESTION_WORKER_URL,
    config.PROXY_SYNC_URL,
  ];
}

export function portVariable(defaultPort: number) {
  return Type.Integer({ default: defaultPort, minimum: 0, maximum: 65_535 });
}

/** PEM values may arrive with literal `\n` (one-line env files). */
export function pemFromEnv(value: string): string {
  return value.includes('\\n') ? value.replaceAll('\\n', '\n') : value;
}
