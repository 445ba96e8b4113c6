/**
 * The one way the web app talks to the platform: a typed client over the gateway's
 * OpenAPI (`schema.gen.ts`, regenerated with `pnpm --filter @lumikb/web run api:types`).
 *
 * - The session lives in httpOnly cookies; requests send them (same origin).
 * - A 401 on any call triggers one POST /api/v1/auth/refresh (shared by concurrent
 *   callers) and a retry; when that fails too, listeners of `onSessionExpired` hear it.
 * - `call()` unwraps a response or throws `ApiError` carrying the server's `{code, message}`.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema.gen.ts';

export type { paths } from './schema.gen.ts';

/** An error the UI can show: the server's stable code and human message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Any thrown value as an ApiError (network failures become status 0, NETWORK_ERROR). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof DOMException && error.name === 'AbortError') {
    return new ApiError(0, 'ABORTED', 'The request was cancelled');
  }
  if (error instanceof TypeError) {
    return new ApiError(0, 'NETWORK_ERROR', 'Cannot reach the server. Check your connection and try again.');
  }
  return new ApiError(0, 'UNEXPECTED', error instanceof Error ? error.message : String(error));
}

const expiredListeners = new Set<() => void>();
/** Called when the session is gone for good (refresh refused); returns an unsubscribe. */
export function onSessionExpired(listener: () => void): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

let refreshing: Promise<boolean> | null = null;
/** One refresh at a time, however many requests hit 401 together. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= fetch('/api/v1/auth/refresh', { method: 'POST', credentials: 'same-origin' })
    .then((res) => res.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** Requests that must not trigger a refresh (they are the session itself). */
const SESSION_ROUTES = ['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout'];

/**
 * fetch with the session rules above. Use it directly for what the typed client cannot
 * express (server-sent events, downloads): `sessionFetch(new Request('/api/v1/chat', …))`.
 */
export async function sessionFetch(input: Request): Promise<Response> {
  const path = new URL(input.url, window.location.origin).pathname;
  const retry = input.clone();
  const res = await fetch(input, { credentials: 'same-origin' });
  if (res.status !== 401 || SESSION_ROUTES.includes(path)) return res;
  if (await refreshSession()) {
    const again = await fetch(retry, { credentials: 'same-origin' });
    if (again.status !== 401) return again;
  }
  for (const listener of expiredListeners) listener();
  return res;
}

/** The typed client: `api.GET('/api/v1/admin/models', { params: { query: { type: 'embedding' } } })`. */
export const api = createClient<paths>({ baseUrl: '', fetch: sessionFetch });

interface ErrorBody {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}

/** The ApiError of a failed response whose body was already parsed (or not JSON). */
export function errorFromResponse(response: Response, body: unknown): ApiError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as ErrorBody;
  const requestId = response.headers.get('x-request-id') ?? undefined;
  const code = typeof b.code === 'string' ? b.code : `HTTP_${response.status}`;
  const message =
    typeof b.message === 'string' && b.message
      ? b.message
      : response.status >= 500
        ? 'The server could not complete the request. Try again shortly.'
        : `The request failed (${response.status} ${response.statusText})`;
  return new ApiError(response.status, code, message, b.details, requestId);
}

/**
 * Unwraps a typed-client call: the data, or throws ApiError.
 *   const models = await call(api.GET('/api/v1/admin/models'));
 */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch (error) {
    throw toApiError(error);
  }
  if (!result.response.ok) throw errorFromResponse(result.response, result.error);
  return result.data as NonNullable<T>;
}

/** Response body type of `GET`-like operations, for components that receive API data as props. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P], S extends number = 200> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends Record<S, { content: { 'application/json': infer B } }>
    ? B
    : never
  : never;

/** Request body type of an operation. */
export type BodyOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
