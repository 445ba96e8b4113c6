/** Ed25519 key pairs and signed tokens for tests (the auth service issues real ones). */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { type AccessTokenClaims, TOKEN_AUDIENCE, TOKEN_ISSUER } from '@lumikb/contracts';

export interface KeyPair {
  publicKey: string;
  privateKey: string;
}

export function generateSigningKeys(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export function signJwt(privateKey: string, claims: Record<string, unknown>, ttlSeconds = 300): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({
      iat: now,
      exp: now + ttlSeconds,
      jti: randomUUID(),
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
      ...claims,
    }),
  );
  const signature = sign(null, Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

/** An access token for a user at `lvl` (1 user, 2 operator, 3 admin). */
export function userToken(keys: KeyPair, lvl: number, extra: Partial<AccessTokenClaims> = {}): string {
  return signJwt(keys.privateKey, {
    sub: extra.sub ?? randomUUID(),
    typ: 'access',
    lvl,
    groups: [],
    email: `level${lvl}@company.local`,
    ...extra,
  });
}

export function serviceToken(keys: KeyPair, service: string): string {
  return signJwt(keys.privateKey, { sub: `service:${service}`, typ: 'service', svc: service, lvl: 0, groups: [] });
}
