/**
 * What every fake model server shares: a request log for assertions and switches for
 * latency, injected error responses and outages (refused connections, connections
 * closed mid-request, requests that never get an answer).
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Teardown } from '../database.ts';
import { type FakeServer, fakesBindHost, sendJson, startFakeServer } from '../fake-server.ts';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty or not JSON). */
  body: unknown;
  raw: string;
  at: number;
}

/**
 * - `refuse`: the port stops listening (clients see ECONNREFUSED);
 * - `reset`: connections are accepted, then closed without an answer;
 * - `hang`: requests are accepted and never answered (clients time out).
 */
export type OutageMode = 'refuse' | 'reset' | 'hang';

export interface FailureRule {
  status: number;
  /** JSON (or a string sent as text/plain). A sensible provider-style body when omitted. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Only requests whose path starts with this (or matches it). All when omitted. */
  path?: string | RegExp;
  /** How many matching requests fail (default: all until `clearFailures()`). */
  times?: number;
}

export interface FakeControls {
  url: string;
  port: number;
  /** Every request received, oldest first (also those answered by a failure rule). */
  requests: RecordedRequest[];
  /** Requests whose path starts with (or matches) `path`. */
  requestsTo(path: string | RegExp, method?: string): RecordedRequest[];
  /** Delay before each answer (default 0). */
  setLatency(ms: number): void;
  /** Queues an error response for matching requests (rules are tried in order). */
  failWith(rule: FailureRule): void;
  clearFailures(): void;
  /** Starts (`mode`) or ends (`null`) an outage. */
  setOutage(mode: OutageMode | null): Promise<void>;
  close(): Promise<void>;
}

export type RouteHandler = (
  req: IncomingMessage & { body: string },
  res: ServerResponse,
  recorded: RecordedRequest,
) => void | Promise<void>;

function matches(rule: { path?: string | RegExp }, path: string): boolean {
  if (rule.path === undefined) return true;
  return typeof rule.path === 'string' ? path.startsWith(rule.path) : rule.path.test(path);
}

export async function startControlledServer(
  t: Teardown | undefined,
  handler: RouteHandler,
  defaultFailureBody: (status: number) => unknown,
): Promise<FakeControls & { fake: FakeServer }> {
  const requests: RecordedRequest[] = [];
  const failures: (FailureRule & { left: number })[] = [];
  let latencyMs = 0;
  let outage: OutageMode | null = null;
  const hanging = new Set<ServerResponse>();

  const fake = await startFakeServer(t, async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    try {
      body = req.body ? JSON.parse(req.body) : undefined;
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      raw: req.body,
      at: Date.now(),
    };
    requests.push(recorded);
    if (outage === 'reset') {
      req.socket.destroy();
      return;
    }
    if (outage === 'hang') {
      hanging.add(res);
      return;
    }
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const rule = failures.find((f) => f.left > 0 && matches(f, recorded.path));
    if (rule) {
      rule.left -= 1;
      const payload = rule.body ?? defaultFailureBody(rule.status);
      if (typeof payload === 'string') {
        res.writeHead(rule.status, { 'content-type': 'text/plain', ...rule.headers });
        res.end(payload);
      } else {
        res.writeHead(rule.status, { 'content-type': 'application/json', ...rule.headers });
        res.end(JSON.stringify(payload));
      }
      return;
    }
    await handler(req, res, recorded);
  });
  const { port } = fake.server.address() as AddressInfo;

  const controls: FakeControls & { fake: FakeServer } = {
    fake,
    url: fake.url,
    port,
    requests,
    requestsTo: (path, method) =>
      requests.filter((r) => matches({ path }, r.path) && (method === undefined || r.method === method)),
    setLatency(ms) {
      latencyMs = ms;
    },
    failWith(rule) {
      failures.push({ ...rule, left: rule.times ?? Number.POSITIVE_INFINITY });
    },
    clearFailures() {
      failures.length = 0;
    },
    async setOutage(mode) {
      const wasRefusing = outage === 'refuse';
      outage = mode;
      if (mode === 'refuse' && !wasRefusing) {
        await new Promise<void>((resolve) => {
          fake.server.close(() => resolve());
          fake.server.closeAllConnections();
        });
        // Give clients a moment to see their pooled keep-alive sockets close, so their
        // next request meets the refused port rather than a dead socket.
        await new Promise((r) => setTimeout(r, 50));
      }
      if (mode !== 'refuse' && wasRefusing) {
        await new Promise<void>((resolve, reject) => {
          fake.server.once('error', reject);
          fake.server.listen(port, fakesBindHost(), () => {
            fake.server.off('error', reject);
            resolve();
          });
        });
      }
      if (mode !== 'hang') {
        for (const res of hanging) res.destroy();
        hanging.clear();
      }
    },
    close: () => fake.close(),
  };
  return controls;
}

export function readAuth(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '');
  return undefined;
}

/** A deterministic unit vector for `text` (same text → same vector). */
export function fakeVector(text: string, dimensions: number): number[] {
  const seed = createHash('sha256').update(text).digest();
  const out = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const byte = seed[i % seed.length] as number;
    const v = Math.sin(byte * 12.9898 + i * 78.233) * 43758.5453;
    const x = v - Math.floor(v) - 0.5;
    out[i] = x;
    norm += x * x;
  }
  const inv = norm === 0 ? 1 : 1 / Math.sqrt(norm);
  return out.map((x) => x * inv);
}

/** Splits a reply into word tokens, the way models stream them. */
export function replyTokens(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

/** float32 little-endian base64, as OpenAI sends for `encoding_format: "base64"`. */
export function base64Floats(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: string; content?: unknown };
    if (m?.role === 'user') return typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
  }
  return '';
}

export async function pause(ms: number): Promise<void> {
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** Writes an OpenAI-style chat completion, streamed as SSE or whole, honouring max_tokens. */
export async function writeChatCompletion(
  res: ServerResponse,
  options: {
    model: string;
    reply: string;
    stream: boolean;
    maxTokens?: number;
    includeUsage: boolean;
    tokenDelayMs: number;
    /** Fails the stream after this many tokens with an error event. */
    failAfterTokens?: number;
  },
): Promise<void> {
  const all = replyTokens(options.reply);
  const tokens = options.maxTokens !== undefined ? all.slice(0, Math.max(0, options.maxTokens)) : all;
  const finish = tokens.length < all.length ? 'length' : 'stop';
  const id = `chatcmpl-${createHash('md5').update(String(Math.random())).digest('hex').slice(0, 12)}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = { prompt_tokens: 5, completion_tokens: tokens.length, total_tokens: 5 + tokens.length };
  if (!options.stream) {
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: options.model,
      choices: [{ index: 0, message: { role: 'assistant', content: tokens.join('') }, finish_reason: finish }],
      usage,
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: options.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  send(chunk({ role: 'assistant', content: '' }, null));
  for (const [i, token] of tokens.entries()) {
    if (options.failAfterTokens !== undefined && i >= options.failAfterTokens) {
      send({ error: { message: 'upstream model crashed', type: 'internal_server_error', param: null, code: '500' } });
      res.end();
      return;
    }
    await pause(options.tokenDelayMs);
    if (res.destroyed) return;
    send(chunk({ content: token }, null));
  }
  send(chunk({}, finish));
  if (options.includeUsage)
    send({ id, object: 'chat.completion.chunk', created, model: options.model, choices: [], usage });
  res.write('data: [DONE]\n\n');
  res.end();
}
