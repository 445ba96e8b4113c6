/**
 * Outbound HTTP for model providers: one place that turns every way a call can fail
 * (timeout, DNS, refused connection, HTTP status, provider error body) into an LlmError
 * with a kind callers can act on, and retries the transient ones with backoff.
 */
import { abortableSleep, retry } from '@lumikb/retry';
import { fetch as guardedFetch } from 'undici';
import { LlmError, type LlmErrorKind } from './errors.ts';
import {
  normaliseOutboundUrl,
  OUTBOUND_TARGET_REFUSED,
  type OutboundPolicy,
  OutboundRefusedError,
} from './outbound.ts';

/** How a call to a chosen (not configured-internal) target is fenced; see outbound.ts. */
export interface OutboundGuard {
  policy: OutboundPolicy;
  /** Loopback and private addresses are acceptable (local-by-nature provider, or configured proxy). */
  allowPrivate: boolean;
}

export interface HttpCall {
  url: string;
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: unknown;
  /** Per-attempt time limit. */
  timeoutMs: number;
  /** The caller's signal (request cancelled, overall deadline). */
  signal?: AbortSignal;
  /** Name used in messages, e.g. "Ollama" or "the LiteLLM proxy". */
  target: string;
  /** When set, the target is checked by the outbound policy and connected to at the checked address. */
  outbound?: OutboundGuard;
}

/**
 * Performs the request; resolves with the response whatever its status (see `ensureOk`).
 * `timeoutMs` covers the whole exchange, or only until the headers for `stream` calls
 * (a stream's pace is then guarded by an idle timeout while reading, see streams.ts).
 */
export async function send(call: HttpCall & { stream?: boolean }): Promise<Response> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException(`timed out after ${call.timeoutMs} ms`, 'TimeoutError')),
    call.timeoutMs,
  );
  timer.unref();
  const signal = call.signal ? AbortSignal.any([call.signal, deadline.signal]) : deadline.signal;
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const init = {
    method: call.method ?? (call.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
    signal,
  };
  try {
    let response: Response;
    if (call.outbound) {
      const url = normaliseOutboundUrl(call.url).toString();
      // undici's own fetch, so its dispatcher (the checking connector) is honoured.
      response = (await guardedFetch(url, {
        ...init,
        dispatcher: call.outbound.policy.dispatcher({ allowPrivate: call.outbound.allowPrivate }),
      })) as unknown as Response;
    } else {
      response = await fetch(call.url, init);
    }
    if (call.stream) clearTimeout(timer);
    return response;
  } catch (error) {
    clearTimeout(timer);
    throw networkError(error, call, deadline.signal.aborted && !call.signal?.aborted);
  }
}

/** Sends and throws an LlmError for any non-2xx status (body parsed for the provider's message). */
export async function request(call: HttpCall & { stream?: boolean }): Promise<Response> {
  const response = await send(call);
  if (!response.ok) throw await statusError(response, call);
  return response;
}

/** Sends, checks the status and parses the JSON body. */
export async function requestJson<T>(call: HttpCall): Promise<T> {
  const response = await request(call);
  return readJson<T>(response, call);
}

export async function readJson<T>(
  response: Response,
  call: Pick<HttpCall, 'url' | 'target' | 'timeoutMs'>,
): Promise<T> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw networkError(error, call, false);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new LlmError(
      'invalid_response',
      `${call.target} returned a body that is not JSON (${describeUrl(call.url)})`,
      { url: describeUrl(call.url) },
    );
  }
}

export function networkError(error: unknown, call: Pick<HttpCall, 'url' | 'target' | 'timeoutMs'>, timedOut: boolean) {
  const where = describeUrl(call.url);
  const host = hostOf(call.url);
  const refused = error instanceof OutboundRefusedError ? error : (error as { cause?: unknown })?.cause;
  if (refused instanceof OutboundRefusedError && refused.reason === 'unresolvable') {
    return new LlmError(
      'dns',
      `Cannot resolve host "${host}" (DNS lookup failed): check the endpoint URL`,
      { url: where, code: 'ENOTFOUND' },
      { cause: error },
    );
  }
  if (refused instanceof OutboundRefusedError) {
    return new LlmError(
      'refused',
      `Refused to call ${call.target}: ${refused.message}`,
      { url: where, code: OUTBOUND_TARGET_REFUSED, reason: refused.reason },
      { cause: error },
    );
  }
  const e = error as { name?: string; cause?: { code?: string; message?: string } };
  if (timedOut || e?.name === 'TimeoutError') {
    return new LlmError(
      'timeout',
      `Timed out after ${formatMs(call.timeoutMs)} waiting for ${call.target} at ${host}: the server is too slow or unreachable (firewall?)`,
      { url: where },
      { cause: error },
    );
  }
  if (e?.name === 'AbortError') {
    return new LlmError('aborted', `The call to ${call.target} was cancelled`, { url: where }, { cause: error });
  }
  const code = e?.cause?.code ?? (error as { code?: string }).code ?? '';
  if (code === 'ERR_INVALID_URL' || /Invalid URL/i.test(String(e?.cause?.message ?? ''))) {
    return new LlmError(
      'bad_request',
      `The endpoint URL "${call.url}" is not a valid URL`,
      { url: where },
      { cause: error },
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') {
    return new LlmError(
      'dns',
      `Cannot resolve host "${host}" (DNS lookup failed): check the endpoint URL`,
      { url: where, code },
      { cause: error },
    );
  }
  if (code === 'ECONNREFUSED') {
    return new LlmError(
      'unreachable',
      `Connection refused by ${host}: is ${call.target} running and listening at that address?`,
      { url: where, code },
      { cause: error },
    );
  }
  if (/CERT|TLS|SSL|ERR_TLS/i.test(code)) {
    return new LlmError(
      'unreachable',
      `TLS handshake with ${host} failed (${code}): check the certificate or use the right scheme`,
      { url: where, code },
      { cause: error },
    );
  }
  const reason = e?.cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new LlmError(
    'unreachable',
    `Cannot reach ${call.target} at ${host}: ${reason}${code ? ` (${code})` : ''}`,
    { url: where, ...(code ? { code } : {}) },
    { cause: error },
  );
}

/** The provider's own error message from any of the error envelopes we know. */
export function providerMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim() || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const err = b.error;
  if (typeof err === 'string') return err; // Ollama {"error":"…"}, LiteLLM 500 {"error":"…"}
  if (err && typeof err === 'object') {
    const m = (err as Record<string, unknown>).message; // OpenAI, LiteLLM ProxyException, Anthropic, Gemini
    if (typeof m === 'string') return m;
  }
  if (typeof b.message === 'string') return b.message; // Cohere
  const detail = b.detail; // FastAPI HTTPException
  if (typeof detail === 'string') return detail;
  if (detail && typeof detail === 'object') {
    const d = detail as Record<string, unknown>;
    if (typeof d.error === 'string') return d.error;
    return JSON.stringify(detail);
  }
  return undefined;
}

function kindOfStatus(status: number, body: unknown): LlmErrorKind {
  if (status === 401 || status === 403) return 'auth';
  // Gemini answers an invalid key with 400 INVALID_ARGUMENT / API_KEY_INVALID.
  if (status === 400 && JSON.stringify(body ?? '').includes('API_KEY_INVALID')) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'provider_error';
  return 'bad_request';
}

/** Longest error body read (the rest is discarded unread) and longest reason shown. */
export const ERROR_BODY_READ_LIMIT = 16_384;
export const ERROR_REASON_MAX_CHARS = 200;

/**
 * The error a non-2xx answer becomes: its status and, when the body is a JSON error
 * envelope we know, the provider's own short reason (one line, bounded). A body that is
 * not such an envelope is never echoed: an endpoint pointed at the wrong server must
 * not become a way to read that server's pages.
 */
export async function statusError(response: Response, call: Pick<HttpCall, 'url' | 'target'>): Promise<LlmError> {
  const text = await readBounded(response, ERROR_BODY_READ_LIMIT).catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const message = summariseReason(body && typeof body === 'object' ? providerMessage(body) : undefined);
  const kind = kindOfStatus(response.status, body);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const where = describeUrl(call.url);
  const suffix = message ? `: ${message}` : '';
  return new LlmError(kind, `${call.target} answered HTTP ${response.status}${suffix}`, {
    status: response.status,
    url: where,
    ...(message ? { provider_message: message } : {}),
    ...(retryAfterMs !== undefined ? { retry_after_ms: retryAfterMs } : {}),
  });
}

/** One line, no control characters, at most ERROR_REASON_MAX_CHARS. */
export function summariseReason(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  // Control (Cc) and format (Cf: bidi overrides, zero-width) characters, line separators.
  const line = reason
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!line) return undefined;
  return line.length > ERROR_REASON_MAX_CHARS ? `${line.slice(0, ERROR_REASON_MAX_CHARS - 1)}…` : line;
}

/** The body as text, reading at most `limit` bytes and cancelling the rest. */
async function readBounded(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}

/** Retry-After as seconds or an HTTP date, in ms (undefined when absent or unparseable). */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export interface RetryPolicy {
  retries: number;
  /** First backoff; doubles per attempt, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  onRetry?: (error: LlmError, attempt: number, delayMs: number) => void;
}

/** Runs `attempt` again on transient failures (429, 5xx, timeouts, refused connections). */
export function withRetries<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  return retry(
    {
      retries: policy.retries,
      baseDelayMs: policy.baseDelayMs ?? 250,
      maxDelayMs: policy.maxDelayMs ?? 10_000,
      ...(policy.signal ? { signal: policy.signal } : {}),
      retryable: isRetryable,
      serverDelayMs: retryAfterOf,
      sleep,
      ...(policy.onRetry ? { onRetry: (error, n, delay) => policy.onRetry?.(error as LlmError, n, delay) } : {}),
    },
    attempt,
  );
}

/** Our own errors that say "try again": 429, 5xx, timeouts, refused connections. */
export function isRetryable(error: unknown): boolean {
  return error instanceof LlmError && error.retryable;
}

/** The wait a provider asked for (Retry-After), when it did. */
export function retryAfterOf(error: unknown): number | undefined {
  const ms = error instanceof LlmError ? error.details.retry_after_ms : undefined;
  return typeof ms === 'number' ? ms : undefined;
}

/** A wait that a cancelled call ends with LlmError('aborted'). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortableSleep(ms, signal, () => new LlmError('aborted', 'cancelled'));
}

/** The URL without credentials or query secrets, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    for (const key of [...u.searchParams.keys()]) {
      if (/key|token|secret/i.test(key)) u.searchParams.set(key, '[redacted]');
    }
    return u.toString();
  } catch {
    return url;
  }
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
