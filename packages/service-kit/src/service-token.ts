/**
 * Service identities: a service exchanges the shared client secret for a short-lived
 * token at auth's `POST /internal/service-token` and presents it (`Authorization:
 * Bearer`) to other services' internal routes. The source caches the token and fetches
 * a new one shortly before it expires; concurrent callers share one request.
 */
import type { ServiceTokenSource } from './audit.ts';

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
  const url = new URL('/internal/service-token', options.authUrl).toString();
  let cached: Cached | undefined;
  let inflight: Promise<Cached> | undefined;

  const request = async (): Promise<Cached> => {
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SERVICE_SECRET_HEADER]: options.secret },
        body: JSON.stringify({ service: options.service }),
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
    const body = (await response.json()) as { access_token?: string; expires_in?: number };
    if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
      throw new ServiceTokenError('auth answered the service-token request without a token');
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
