/**
 * Encryption of stored API keys: AES-256-GCM in this process, with the key id stored
 * beside each ciphertext so keys can be rotated (new key first in ENCRYPTION_KEYS, old
 * keys kept for decryption until every row has been re-encrypted). The row id is bound
 * in as associated data, so a ciphertext copied onto another row does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface Sealed {
  ciphertext: Buffer;
  keyId: string;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Format marker, so the layout can evolve without guessing. */
const VERSION = 1;

/** Parses `kid:base64key[,kid:base64key…]`. Problems never quote key material. */
export function parseEncryptionKeys(
  spec: string,
): { ok: true; keys: EncryptionKey[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const keys: EncryptionKey[] = [];
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) problems.push('ENCRYPTION_KEYS names no key');
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const material = colon > 0 ? entry.slice(colon + 1) : '';
    const where = `ENCRYPTION_KEYS entry ${index + 1}`;
    if (!KEY_ID.test(id)) {
      problems.push(`${where} must look like "kid:base64key" with a key id of letters, digits, - or _ (max 32)`);
      return;
    }
    if (keys.some((k) => k.id === id)) {
      problems.push(`${where}: key id "${id}" appears twice`);
      return;
    }
    const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(material) ? Buffer.from(material, 'base64') : Buffer.alloc(0);
    if (key.length !== 32) {
      problems.push(`${where} ("${id}"): the key must be 32 bytes, base64-encoded (openssl rand -base64 32)`);
      return;
    }
    keys.push({ id, key });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, keys };
}

export class SecretUnreadableError extends Error {
  override name = 'SecretUnreadableError';
  constructor(
    message: string,
    readonly keyId: string,
  ) {
    super(message);
  }
}

export class SecretBox {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: EncryptionKey[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The key id new ciphertexts are written with. */
  get currentKeyId(): string {
    return this.keys[0]!.id;
  }

  hasKey(id: string): boolean {
    return this.byId.has(id);
  }

  seal(plaintext: string, context: string): Sealed {
    const key = this.keys[0]!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { ciphertext: Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]), keyId: key.id };
  }

  open(sealed: Sealed, context: string): string {
    const key = this.byId.get(sealed.keyId);
    if (!key) {
      throw new SecretUnreadableError(
        `the stored secret was encrypted with key "${sealed.keyId}", which is not in ENCRYPTION_KEYS`,
        sealed.keyId,
      );
    }
    const data = sealed.ciphertext;
    if (data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== VERSION) {
      throw new SecretUnreadableError('the stored secret has an unknown format', sealed.keyId);
    }
    const iv = data.subarray(1, 1 + IV_BYTES);
    const tag = data.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(data.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretUnreadableError(
        `the stored secret does not decrypt with key "${sealed.keyId}" (wrong key material, or the row was tampered with)`,
        sealed.keyId,
      );
    }
  }
}

/** Associated data binding an API key ciphertext to its model row. */
export const apiKeyContext = (modelId: string) => `lumikb:registry:llm_models:${modelId}:api_key`;
