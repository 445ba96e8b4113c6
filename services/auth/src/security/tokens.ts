/**
 * Token issuing. Access and service tokens are EdDSA (Ed25519) JWTs signed with the
 * private key only auth holds; every service verifies them with the public key.
 * Refresh tokens are opaque random strings stored only as their SHA-256.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
} from 'node:crypto';
import { type AccessTokenClaims, TOKEN_AUDIENCE, TOKEN_ISSUER } from '@lumikb/contracts';
import { pemFromEnv } from '@lumikb/service-kit';

export interface IssuedToken {
  token: string;
  expiresIn: number;
  expiresAt: Date;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }));

export class TokenIssuer {
  private readonly key: KeyObject;

  constructor(
    privateKeyPem: string,
    publicKeyPem: string,
    private readonly ttl: { accessSeconds: number; serviceSeconds: number },
    private readonly now: () => number = Date.now,
  ) {
    this.key = loadSigningKey(privateKeyPem, publicKeyPem);
  }

  /** A user's access token: `lvl` is the MAX over their groups, `groups` their group ids. */
  issueAccess(user: { id: string; email: string; level: number; groupIds: string[] }): IssuedToken {
    const claims: AccessTokenClaims = {
      sub: user.id,
      typ: 'access',
      email: user.email,
      lvl: user.level,
      groups: user.groupIds,
    };
    return this.sign(claims, this.ttl.accessSeconds);
  }

  /** A service identity's token, for internal routes (`access: 'service'`). */
  issueService(service: string): IssuedToken {
    const claims: AccessTokenClaims = { sub: `service:${service}`, typ: 'service', svc: service, lvl: 0, groups: [] };
    return this.sign(claims, this.ttl.serviceSeconds);
  }

  private sign(claims: AccessTokenClaims, ttlSeconds: number): IssuedToken {
    // iat keeps milliseconds (a NumericDate may be fractional, RFC 7519 §2) so a token
    // issued just after a revocation is told apart from one issued just before it.
    const nowMs = this.now();
    const iat = nowMs / 1000;
    const exp = Math.floor(nowMs / 1000) + ttlSeconds;
    const payload = b64url(
      JSON.stringify({ ...claims, iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat, exp, jti: randomUUID() }),
    );
    const signature = sign(null, Buffer.from(`${HEADER}.${payload}`), this.key);
    return {
      token: `${HEADER}.${payload}.${b64url(signature)}`,
      expiresIn: ttlSeconds,
      expiresAt: new Date(exp * 1000),
    };
  }
}

/**
 * Loads the Ed25519 private key and checks it belongs to the public key every service
 * verifies with: a mismatch would make every token auth issues useless, so fail at start.
 */
export function loadSigningKey(privateKeyPem: string, publicKeyPem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pemFromEnv(privateKeyPem));
  } catch {
    throw new Error('JWT_PRIVATE_KEY is not a readable PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`JWT_PRIVATE_KEY must be an Ed25519 key (got ${key.asymmetricKeyType ?? 'unknown'})`);
  }
  const derived = createPublicKey(key).export({ type: 'spki', format: 'der' });
  let configured: Buffer;
  try {
    configured = createPublicKey(pemFromEnv(publicKeyPem)).export({ type: 'spki', format: 'der' });
  } catch {
    throw new Error('JWT_PUBLIC_KEY is not a readable PEM public key');
  }
  if (!derived.equals(configured)) throw new Error('JWT_PRIVATE_KEY does not match JWT_PUBLIC_KEY');
  return key;
}

/** A new opaque refresh token (256 bits) and the hash under which it is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
