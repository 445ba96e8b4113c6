/**
 * The one client for our services' internal HTTP APIs: a service token on every call, a
 * time budget, a size budget on the answer, the answer checked against its contract
 * (@lumikb/contracts), and failures as InternalCallError with the platform's own codes
 * (not an LLM provider's error kinds: a registry outage is not an "auth" failure of a model).
 */
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { ServiceTokenSource } from './audit.ts';

export type InternalCallErrorCode =
  /** No service token could be obtained from auth. */
  | 'SERVICE_TOKEN_UNAVAILABLE'
  /** Connection refused, reset, DNS: the service does not answer. */
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  /** Cancelled by our own shutdown. */
  | 'UPSTREAM_ABORTED'
  /** The service answered with an error (`status` and its own `upstreamCode`). */
  | 'UPSTREAM_ERROR'
  /** The answer broke its contract (shape or size). */
  | 'UPSTREAM_INVALID_RESPONSE';

export class InternalCallError extends Error {
  override name = 'InternalCallError';
  constructor(
    readonly code: InternalCallErrorCode,
    message: string,
    readonly status?: number,
    /** The `code` of the service's error body (e.g. MODEL_NOT_FOUND, ROUTE_NOT_FOUND). */
    readonly upstreamCode?: string,
  ) {
    super(message);
  }
}

export interface InternalClientOptions {
  /** The service's name in messages, e.g. 'the registry'. */
  target: string;
  baseUrl: string;
  token: ServiceTokenSource;
  timeoutMs: number;
  /** Aborted at shutdown, so no call outlives the service. */
  signal?: AbortSignal;
  /** Largest answer accepted (default 8 MiB). */
  maxResponseBytes?: number;
}

export interface InternalClient {
  get<S extends TSchema>(path: string, response: S): Promise<Static<S>>;
}

export function createInternalClient(options: InternalClientOptions): InternalClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const maxBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
  const validators = new WeakMap<TSchema, ReturnType<typeof Compile>>();
  const validator = (schema: TSchema) => {
    let v = validators.get(schema);
    if (!v) {
      v = Compile(schema);
      validators.set(schema, v);
    }
    return v;
  };
  return {
    async get<S extends TSchema>(path: string, response: S): Promise<Static<S>> {
      let token: string;
      try {
        token = await options.token();
      } catch (error) {
        throw new InternalCallError(
          'SERVICE_TOKEN_UNAVAILABLE',
          `cannot obtain a service token to call ${options.target}: ${error instanceof Error ? error.message : error}`,
        );
      }
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let res: Response;
      let text: string;
      try {
        res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` }, signal });
        const length = Number(res.headers.get('content-length') ?? 0);
        if (length > maxBytes) {
          await res.body?.cancel();
          throw new InternalCallError('UPSTREAM_INVALID_RESPONSE', `${options.target} answered ${length} bytes`);
        }
        text = await res.text();
      } catch (error) {
        if (error instanceof InternalCallError) throw error;
        if (options.signal?.aborted)
          throw new InternalCallError('UPSTREAM_ABORTED', `call to ${options.target} cancelled`);
        if (timeout.aborted) {
          throw new InternalCallError(
            'UPSTREAM_TIMEOUT',
            `${options.target} did not answer within ${options.timeoutMs} ms`,
          );
        }
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new InternalCallError(
          'UPSTREAM_UNREACHABLE',
          `cannot reach ${options.target}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        );
      }
      if (text.length > maxBytes) {
        throw new InternalCallError(
          'UPSTREAM_INVALID_RESPONSE',
          `${options.target} answered more than ${maxBytes} bytes`,
        );
      }
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        throw new InternalCallError(
          'UPSTREAM_INVALID_RESPONSE',
          `${options.target} answered HTTP ${res.status} without JSON`,
        );
      }
      if (!res.ok) {
        const { code, message } = (body ?? {}) as { code?: unknown; message?: unknown };
        throw new InternalCallError(
          'UPSTREAM_ERROR',
          `${options.target} answered HTTP ${res.status}${typeof code === 'string' ? ` ${code}` : ''}${
            typeof message === 'string' ? `: ${message.slice(0, 300)}` : ''
          }`,
          res.status,
          typeof code === 'string' ? code : undefined,
        );
      }
      const check = validator(response);
      if (!check.Check(body)) {
        const first = [...check.Errors(body)][0];
        throw new InternalCallError(
          'UPSTREAM_INVALID_RESPONSE',
          `${options.target} answered outside its contract${first ? ` (${first.instancePath || '/'} ${first.message})` : ''}`,
        );
      }
      return body as Static<S>;
    },
  };
}
