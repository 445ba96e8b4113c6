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
  /** A JSON answer, checked against its contract. */
  get<S extends TSchema>(path: string, response: S): Promise<Static<S>>;
  /**
   * A body of bytes (e.g. a document's original), as it arrives: `length` is what the
   * service announced; reading fails with an InternalCallError when the stream breaks, is
   * longer than `maxBytes`, or ends short of `length`.
   */
  download(path: string, options?: { maxBytes?: number }): Promise<InternalDownload>;
  /** A streamed request body (sent as it is produced); a 2xx without content is the only success. */
  upload(
    path: string,
    body: { method?: 'PUT' | 'POST'; contentType: string; content: AsyncIterable<Uint8Array> },
  ): Promise<void>;
}

export interface InternalDownload {
  length: number | undefined;
  body: AsyncIterable<Uint8Array>;
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

  /** A failure of the transport (while connecting or reading), in the platform's codes. */
  const transportError = (error: unknown, timeout: AbortSignal, what = 'reach'): InternalCallError => {
    if (error instanceof InternalCallError) return error;
    if (options.signal?.aborted)
      return new InternalCallError('UPSTREAM_ABORTED', `call to ${options.target} cancelled`);
    if (timeout.aborted) {
      return new InternalCallError(
        'UPSTREAM_TIMEOUT',
        `${options.target} did not answer within ${options.timeoutMs} ms`,
      );
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return new InternalCallError(
      'UPSTREAM_UNREACHABLE',
      `cannot ${what} ${options.target}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  };

  /** An error answer as InternalCallError, with the service's own code when its body has one. */
  const answeredError = (status: number, body: unknown): InternalCallError => {
    const { code, message } = (body ?? {}) as { code?: unknown; message?: unknown };
    return new InternalCallError(
      'UPSTREAM_ERROR',
      `${options.target} answered HTTP ${status}${typeof code === 'string' ? ` ${code}` : ''}${
        typeof message === 'string' ? `: ${message.slice(0, 300)}` : ''
      }`,
      status,
      typeof code === 'string' ? code : undefined,
    );
  };

  /** Sends the request with a token under the time budget; the caller reads the answer under the same budget. */
  const send = async (path: string, init: RequestInit = {}): Promise<{ res: Response; timeout: AbortSignal }> => {
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
    try {
      const res = await fetch(`${base}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
        signal,
      });
      return { res, timeout };
    } catch (error) {
      throw transportError(error, timeout);
    }
  };

  /** The answer as text, within the size budget. */
  const readText = async (res: Response, timeout: AbortSignal): Promise<string> => {
    let text: string;
    try {
      const length = Number(res.headers.get('content-length') ?? 0);
      if (length > maxBytes) {
        await res.body?.cancel();
        throw new InternalCallError('UPSTREAM_INVALID_RESPONSE', `${options.target} answered ${length} bytes`);
      }
      text = await res.text();
    } catch (error) {
      throw transportError(error, timeout);
    }
    if (text.length > maxBytes) {
      throw new InternalCallError(
        'UPSTREAM_INVALID_RESPONSE',
        `${options.target} answered more than ${maxBytes} bytes`,
      );
    }
    return text;
  };

  return {
    async get<S extends TSchema>(path: string, response: S): Promise<Static<S>> {
      const { res, timeout } = await send(path);
      const text = await readText(res, timeout);
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        throw new InternalCallError(
          'UPSTREAM_INVALID_RESPONSE',
          `${options.target} answered HTTP ${res.status} without JSON`,
        );
      }
      if (!res.ok) throw answeredError(res.status, body);
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

    async download(path, { maxBytes: limit = maxBytes } = {}) {
      const { res, timeout } = await send(path);
      if (!res.ok) throw answeredError(res.status, jsonOrNothing(await readText(res, timeout)));
      const header = res.headers.get('content-length');
      const length = header === null ? undefined : Number(header);
      if (length !== undefined && !(Number.isSafeInteger(length) && length >= 0)) {
        await res.body?.cancel();
        throw new InternalCallError('UPSTREAM_INVALID_RESPONSE', `${options.target} announced ${header} bytes`);
      }
      if (length !== undefined && length > limit) {
        await res.body?.cancel();
        throw new InternalCallError('UPSTREAM_INVALID_RESPONSE', `${options.target} answered ${length} bytes`);
      }
      const stream = res.body;
      async function* body(): AsyncGenerator<Uint8Array> {
        let received = 0;
        try {
          for await (const piece of stream ?? []) {
            received += piece.length;
            if (received > (length ?? limit)) {
              throw new InternalCallError(
                'UPSTREAM_INVALID_RESPONSE',
                `${options.target} sent more than the ${length ?? limit} bytes ${length === undefined ? 'allowed' : 'announced'}`,
              );
            }
            yield piece;
          }
        } catch (error) {
          throw transportError(error, timeout, 'read from');
        }
        if (length !== undefined && received !== length) {
          throw new InternalCallError(
            'UPSTREAM_INVALID_RESPONSE',
            `${options.target} ended after ${received} of ${length} bytes`,
          );
        }
      }
      return { length, body: body() };
    },

    async upload(path, { method = 'PUT', contentType, content }) {
      const { res, timeout } = await send(path, {
        method,
        headers: { 'content-type': contentType },
        body: content as unknown as RequestInit['body'],
        // A streamed request body: fetch sends it as it is produced.
        duplex: 'half',
      } as RequestInit);
      const text = await readText(res, timeout);
      if (!res.ok) throw answeredError(res.status, jsonOrNothing(text));
    },
  };
}

/** An error answer's body, when it is JSON (a proxy in between may answer HTML). */
function jsonOrNothing(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
