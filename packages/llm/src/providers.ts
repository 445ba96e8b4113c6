/** Wire calls for the two protocols the router speaks: Ollama's native API and OpenAI's. */
import { LlmError } from './errors.ts';
import { joinUrl, type OutboundGuard, readJson, request, requestJson } from './http.ts';
import type { Route } from './routing.ts';
import { ndjson, sseData } from './streams.ts';
import type { ChatMessage, GenerateRequest, TokenUsage } from './types.ts';

export interface CallContext {
  /** Whole exchange for plain calls; time to headers, then longest silence, for streams. */
  timeoutMs: number;
  signal?: AbortSignal;
  outbound?: OutboundGuard;
}

type OllamaRoute = Extract<Route, { kind: 'ollama' }>;
type OpenAiRoute = Extract<Route, { kind: 'openai' }>;

export async function embedOllama(route: OllamaRoute, texts: string[], ctx: CallContext): Promise<number[][]> {
  const url = joinUrl(route.baseUrl, '/api/embed');
  const body = await requestJson<{ embeddings?: unknown }>({
    url,
    body: { model: route.model, input: texts, truncate: true },
    headers: route.headers,
    target: route.target,
    ...ctx,
  });
  return checkVectors(body.embeddings, texts.length, route.target, url);
}

export async function embedOpenAi(route: OpenAiRoute, texts: string[], ctx: CallContext): Promise<number[][]> {
  const url = joinUrl(route.baseUrl, '/embeddings');
  const body = await requestJson<{ data?: { index?: number; embedding?: unknown }[] }>({
    url,
    // Always float: SDK-style base64 decoding of a float array yields garbage (protocols §3).
    body: { model: route.model, input: texts, encoding_format: 'float' },
    headers: route.headers,
    target: route.target,
    ...ctx,
  });
  if (!Array.isArray(body.data)) throw invalid(route.target, url, 'no "data" array in the embeddings response');
  const ordered = [...body.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => d.embedding);
  return checkVectors(ordered, texts.length, route.target, url);
}

function checkVectors(value: unknown, expected: number, target: string, url: string): number[][] {
  if (!Array.isArray(value)) throw invalid(target, url, 'no embeddings in the response');
  if (value.length !== expected) {
    throw invalid(target, url, `asked for ${expected} embeddings, got ${value.length}`);
  }
  for (const vector of value) {
    if (!Array.isArray(vector) || vector.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      throw invalid(target, url, 'an embedding is not an array of finite numbers');
    }
  }
  return value as number[][];
}

function invalid(target: string, url: string, why: string): LlmError {
  return new LlmError('invalid_response', `${target} returned an unexpected response: ${why}`, { url });
}

export interface StreamEvent {
  text?: string;
  finishReason?: string;
  usage?: TokenUsage;
}

export async function* chatOllama(
  route: OllamaRoute,
  messages: ChatMessage[],
  options: GenerateRequest,
  ctx: CallContext,
): AsyncGenerator<StreamEvent> {
  const url = joinUrl(route.baseUrl, '/api/chat');
  const modelOptions: Record<string, number> = {};
  if (options.temperature !== undefined) modelOptions.temperature = options.temperature;
  if (options.top_p !== undefined) modelOptions.top_p = options.top_p;
  if (options.max_tokens !== undefined) modelOptions.num_predict = options.max_tokens;
  const response = await request({
    url,
    body: { model: route.model, messages, stream: true, options: modelOptions },
    headers: { ...route.headers, accept: 'application/x-ndjson' },
    target: route.target,
    stream: true,
    ...ctx,
  });
  const guard = { idleTimeoutMs: ctx.timeoutMs, target: route.target, url };
  for await (const line of ndjson<{
    message?: { content?: string };
    done?: boolean;
    done_reason?: string;
    error?: string;
    prompt_eval_count?: number;
    eval_count?: number;
  }>(response.body, guard)) {
    // A failure after the stream started arrives as a last line with status still 200.
    if (line.error) throw new LlmError('provider_error', `${route.target} failed mid-answer: ${line.error}`, { url });
    const text = line.message?.content;
    if (text) yield { text };
    if (line.done) {
      const prompt = line.prompt_eval_count ?? 0;
      const completion = line.eval_count ?? 0;
      yield {
        finishReason: line.done_reason ?? 'stop',
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      };
      return;
    }
  }
}

export async function* chatOpenAi(
  route: OpenAiRoute,
  messages: ChatMessage[],
  options: GenerateRequest,
  ctx: CallContext,
): AsyncGenerator<StreamEvent> {
  const url = joinUrl(route.baseUrl, '/chat/completions');
  const body: Record<string, unknown> = {
    model: route.model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (options.temperature !== undefined) body.temperature = options.temperature;
  if (options.top_p !== undefined) body.top_p = options.top_p;
  if (options.max_tokens !== undefined) body.max_tokens = options.max_tokens;
  const response = await request({
    url,
    body,
    headers: { ...route.headers, accept: 'text/event-stream' },
    target: route.target,
    stream: true,
    ...ctx,
  });
  const guard = { idleTimeoutMs: ctx.timeoutMs, target: route.target, url };
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    // Some OpenAI-compatible servers ignore `stream`; accept a whole completion too.
    const whole = await readJson<{
      choices?: { message?: { content?: string }; finish_reason?: string }[];
      usage?: TokenUsage;
    }>(response, { url, target: route.target, timeoutMs: ctx.timeoutMs });
    const choice = whole.choices?.[0];
    if (choice?.message?.content) yield { text: choice.message.content };
    yield { finishReason: choice?.finish_reason ?? 'stop', ...(whole.usage ? { usage: whole.usage } : {}) };
    return;
  }
  let finishReason: string | undefined;
  let usage: TokenUsage | undefined;
  for await (const data of sseData(response.body, guard)) {
    let chunk: {
      choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
      usage?: TokenUsage | null;
      error?: { message?: string };
    };
    try {
      chunk = JSON.parse(data);
    } catch {
      throw invalid(route.target, url, 'a stream event is not JSON');
    }
    if (chunk.error) {
      throw new LlmError('provider_error', `${route.target} failed mid-answer: ${chunk.error.message ?? 'error'}`, {
        url,
      });
    }
    const choice = chunk.choices?.[0];
    const text = choice?.delta?.content;
    if (text) yield { text };
    if (choice?.finish_reason) finishReason = choice.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  yield { finishReason: finishReason ?? 'stop', ...(usage ? { usage } : {}) };
}
