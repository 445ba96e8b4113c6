/** Builds the auth app for one test against real Postgres and NATS, with a known first admin. */
import { randomBytes } from 'node:crypto';
import { DEFAULT_GROUPS } from '@lumikb/contracts';
import type { ServiceApp } from '@lumikb/service-kit';
import { buildTestService } from '@lumikb/service-kit/testing';
import type { Teardown } from '@lumikb/test-kit';
import type { Logger } from 'pino';
import { service } from '../src/app.ts';

export const ADMIN_EMAIL = 'admin@company.local';
export const ADMIN_PASSWORD = 'Lumi-first-boot-2024';
export const PASSWORD = 'correct-horse-battery-9';

const GROUP_OF_LEVEL: Record<number, string> = {
  1: DEFAULT_GROUPS.USERS.id,
  2: DEFAULT_GROUPS.OPERATORS.id,
  3: DEFAULT_GROUPS.ADMINISTRATORS.id,
};

export async function buildTestApp(t: Teardown, env: Record<string, string> = {}, options: { logger?: Logger } = {}) {
  const serviceSecret = randomBytes(24).toString('base64url');
  const built = await buildTestService(t, service, {
    defaults: (platform) => ({
      JWT_PRIVATE_KEY: platform.keys.privateKey,
      SERVICE_CLIENT_SECRET: serviceSecret,
      LUMIKB_ADMIN_EMAIL: ADMIN_EMAIL,
      LUMIKB_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // Hundreds of sign-ins per run: scrypt at test cost (the same code, ~1/100 of the CPU).
      PASSWORD_HASH_COST: 'test',
    }),
    env,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const { app } = built;

  const byLevel = new Map<number, Promise<string>>();
  /** A real user's access token at `level` (auth refuses tokens of users it does not know). */
  const userTokenFor = (level: number): Promise<string> => {
    let token = byLevel.get(level);
    if (!token) {
      token = (async () => {
        const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
        const email = `level${level}-${randomBytes(3).toString('hex')}@company.local`;
        await createUser(app, admin.access_token, { email, group_ids: [GROUP_OF_LEVEL[level]!] });
        return (await login(app, email, PASSWORD)).access_token;
      })();
      byLevel.set(level, token);
    }
    return token;
  };
  return { ...built, serviceSecret, userTokenFor };
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  user: { id: string; email: string; permission_level: number; groups: { id: string; name: string }[] };
}

export async function login(app: ServiceApp, email: string, password: string, ip?: string): Promise<TokenPair> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
    ...(ip ? { remoteAddress: ip } : {}),
  });
  if (res.statusCode !== 200) throw new Error(`login of ${email} failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function createUser(
  app: ServiceApp,
  adminToken: string,
  body: { email: string; name?: string; password?: string; group_ids?: string[] },
): Promise<{ id: string; email: string; permission_level: number }> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/admin/users',
    headers: bearer(adminToken),
    payload: { password: PASSWORD, ...body },
  });
  if (res.statusCode !== 201) throw new Error(`creating ${body.email} failed: ${res.statusCode} ${res.body}`);
  return res.json();
}
