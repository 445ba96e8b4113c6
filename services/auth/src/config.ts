import { CommonConfigSchema, InfraConfigSchema, loadConfig, portVariable } from '@lumikb/service-kit';
import { type Static, Type } from 'typebox';

const Flag = (fallback: boolean, description: string) =>
  Type.Boolean({ default: fallback, description: `${description} (true|false)` });

export const ConfigSchema = Type.Object({
  ...CommonConfigSchema,
  ...InfraConfigSchema,
  PORT: portVariable(8081),
  JWT_PRIVATE_KEY: Type.String({
    minLength: 1,
    description: 'PEM (PKCS#8) of the Ed25519 private key that signs tokens; must match JWT_PUBLIC_KEY',
  }),
  SERVICE_CLIENT_SECRET: Type.String({
    minLength: 32,
    description: 'shared secret other services present to POST /internal/service-token (at least 32 characters)',
  }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({
    default: 300,
    minimum: 30,
    maximum: 300,
    description: 'lifetime of access tokens; also how long a revoked user can still reach other services',
  }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ default: 7 * 24 * 3600, minimum: 300 }),
  SERVICE_TOKEN_TTL_SECONDS: Type.Integer({ default: 600, minimum: 60, maximum: 3600 }),
  SELF_REGISTRATION: Flag(false, 'allow POST /api/v1/auth/register'),
  LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: Type.Integer({
    default: 5,
    minimum: 1,
    description: 'failed sign-ins for one account from one client address per window; then that pair waits',
  }),
  LOGIN_MAX_FAILURES_PER_IP: Type.Integer({
    default: 20,
    minimum: 1,
    description: 'failed sign-ins from one client address, over all accounts, per window',
  }),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: Type.Integer({
    default: 100,
    minimum: 1,
    description:
      'failed sign-ins for one account from all addresses per window; never blocks an address the user signed in from before',
  }),
  LOGIN_THROTTLE_WINDOW_SECONDS: Type.Integer({ default: 900, minimum: 1 }),
  COOKIE_SECURE: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], {
    default: 'auto',
    description: 'Secure flag of the session cookies; auto = when the request arrived over https',
  }),
  PASSWORD_HASH_COST: Type.Union([Type.Literal('standard'), Type.Literal('test')], {
    default: 'standard',
    description:
      'scrypt cost of new password hashes: standard (OWASP, N=2^15) or test (N=2^10, test suites only; hashes made with it are re-hashed at standard cost on the next sign-in once it is back to standard)',
  }),
  LUMIKB_ADMIN_EMAIL: Type.String({
    default: 'admin@lumikb.local',
    description: 'email of the first administrator, created on first start when no administrator exists',
  }),
  LUMIKB_ADMIN_PASSWORD: Type.Optional(
    Type.String({ description: 'password of the first administrator; generated and logged once when unset' }),
  ),
});
export type Config = Static<typeof ConfigSchema>;

/** Parsed once at start-up; the only place this service reads the environment. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig('auth', ConfigSchema, env);
}
