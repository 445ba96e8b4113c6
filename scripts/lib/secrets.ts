/**
 * Development secrets, generated once into a git-ignored folder so `pnpm start` works
 * on a fresh machine. Production never reaches this: there every secret comes from
 * the environment, and a missing one stops the service.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PlatformSecrets {
  JWT_PUBLIC_KEY: string;
  JWT_PRIVATE_KEY: string;
  ENCRYPTION_KEYS: string;
  SERVICE_CLIENT_SECRET: string;
}

export function loadOrCreateDevSecrets(folder: string): { secrets: PlatformSecrets; created: boolean } {
  const file = join(folder, 'secrets.json');
  if (existsSync(file)) return { secrets: JSON.parse(readFileSync(file, 'utf8')) as PlatformSecrets, created: false };
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const secrets: PlatformSecrets = {
    JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    // key id : base64 of 32 random bytes (AES-256); the first key encrypts, all decrypt.
    ENCRYPTION_KEYS: `dev1:${randomBytes(32).toString('base64')}`,
    SERVICE_CLIENT_SECRET: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(join(folder, 'README'), 'Development secrets made by `pnpm start`. Never use them in production.\n');
  return { secrets, created: true };
}
