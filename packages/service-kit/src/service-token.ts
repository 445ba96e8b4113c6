/**
 * Service identities: a service exchanges the shared client secret for a short-lived
 * token at auth's `POST /internal/service-token` and presents it (`Authorization:
 * Bearer`) to other services' internal routes. The source caches the token and fetches
 * a new one shortly before it expires; concurrent callers share one request.
 */
import { INTERNAL_AUTH_PATHS, type ServiceTokenRequest, ServiceTokenResponseSchema } from '@lumikb/contracts';
import { Compile } from 'typebox/compile';
import type { ServiceTokenSource } from './audit.ts';

/** Auth's answer, checked against its own route's contract (@lumikb/contracts internal-auth). */
const validTokenResponse = Compile(ServiceTokenResponseSchema);
/** A token answer is a few hundred bytes; anything far larger is not one. */
const MAX_TOKEN_RESPONSE_BYTES = 16 * 1024;

export interface ServiceTokenSourceOptions {
  /** Base URL of the auth service, e.g. http://auth:8081. */
  authUrl: string;
  /** This service's name; becomes the token's `svc` claim. */
  service: string;
  /** The shared SERVICE_CLIENT_SECRET. */
  secret: string;
  /** Fetch a new token when less than this is left (default: 60 s, at most a fifth of the lifetime). */
  refreshMarginSeconds?: number;
  timeoutMs?: number;
  /** Injected in tests. */
  fetch?: typeof fetch;
  now?: () => number;
}

/** Header carrying the shared secret (kept in sync with auth's route). */
export const SERVICE_SECRET_HEADER = 'x-service-secret';

export class ServiceTokenError extends Error {
  override name = 'ServiceTokenError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface Cached {
  token: string;
  expiresAtMs: number;
  refreshAtMs: number;
}

export function createServiceTokenSource(options: ServiceTokenSourceOptions): ServiceTokenSource {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const url = new URL(INTERNAL_AUTH_PATHS.serviceToken, options.authUrl).toString();
  let cached: Cached | undefined;
  let inflight: Promise<Cached> | undefined;

  const request = async (): Promise<Cached> => {
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SERVICE_SECRET_HEADER]: options.secret },
        body: JSON.stringify({ service: options.service } satisfies ServiceTokenRequest),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      throw new ServiceTokenError(
        `cannot reach auth at ${url} for a service token: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { code?: string };
      throw new ServiceTokenError(
        `auth refused a service token for ${options.service}: ${response.status} ${body.code ?? ''}`.trim(),
        response.status,
      );
    }
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text.length <= MAX_TOKEN_RESPONSE_BYTES ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!validTokenResponse.Check(body)) {
      throw new ServiceTokenError('auth answered the service-token request without a token its contract allows');
    }
    const issuedAt = now();
    const lifetimeMs = body.expires_in * 1000;
    const marginMs = Math.min((options.refreshMarginSeconds ?? 60) * 1000, lifetimeMs / 5);
    return {
      token: body.access_token,
      expiresAtMs: issuedAt + lifetimeMs,
      refreshAtMs: issuedAt + lifetimeMs - marginMs,
    };
  };

  return async () => {
    const current = cached;
    if (current && now() < current.refreshAtMs) return current.token;
    inflight ??= request().finally(() => {
      inflight = undefined;
    });
    try {
      cached = await inflight;
      return cached.token;
    } catch (error) {
      // Auth briefly unavailable while the old token is still valid: keep using it.
      if (current && now() < current.expiresAtMs - 5_000) return current.token;
      throw error;
    }
  };
}
