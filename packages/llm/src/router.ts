/**
 * The one entry point services use to call models: `embed` (batched, dimension-checked,
 * never falls back) and streaming `generate` (may fall back to the default generation
 * model when the configured one is unavailable, and says so).
 */
import { retry } from '@lumikb/retry';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DimensionMismatchError, LlmError } from './errors.ts';
import { isRetryable, joinUrl, requestJson, retryAfterOf, sleep, withRetries } from './http.ts';
import { localEmbeddingModel } from './local/constants.ts';
import { localEmbed } from './local/embedder.ts';
import { extractiveAnswer, toTokens } from './local/extractive.ts';
import { type ModelMetrics, modelMetrics } from './metrics.ts';
import { allowsPrivateTargets, OutboundPolicy } from './outbound.ts';
import { type CallContext, chatOllama, chatOpenAi, embedOllama, embedOpenAi, type StreamEvent } from './providers.ts';
import { parseRerankResults, type RerankRequestOptions, type RerankResult, rerankBody } from './rerank.ts';
import { isDirectProvider, type Route, resolveRoute } from './routing.ts';
import type { ChatMessage, GenerateChunk, GenerateRequest, LiteLlmTarget, LlmModel, Passage } from './types.ts';

export interface LlmRouterOptions {
  /** The LiteLLM proxy every non-direct provider is called through. */
  litellm?: LiteLlmTarget;
  /** Where `lumikb_model_*` metrics go (the service's registry). */
  registry?: Registry;
  logger?: Logger;
  /** Per-attempt limit for embeddings; time to first byte and longest silence for streams (default 60000). */
  timeoutMs?: number;
  /** Extra attempts on 429, 5xx, timeouts and refused connections (default 2). */
  retries?: number;
  /** First retry delay, doubled per attempt; a Retry-After header wins (default 250). */
  retryBaseDelayMs?: number;
  /** Longest wait between retries; a longer Retry-After fails the call (default 10000). */
  retryMaxDelayMs?: number;
  /** The model to answer with when a generation model is unavailable (usually the default one). */
  fallbackGeneration?: () => LlmModel | undefined;
  /** Optional bearer key for direct-call providers (an LM Studio with authentication on). */
  directApiKey?: (model: LlmModel) => string | undefined;
  /** The fence around model endpoints (default: a policy without own services or allowed hosts). */
  outbound?: OutboundPolicy;
}

export const DEFAULT_EMBED_BATCH_SIZE = 32;

/** The `config.dimensions` of an embedding model (a local model defaults to its own: v1 384, v2 1024). */
export function configuredDimensions(model: LlmModel): number | undefined {
  const d = model.config.dimensions;
  if (typeof d === 'number' && Number.isInteger(d) && d > 0) return d;
  return model.provider === 'local' ? localEmbeddingModel(model.model_id).dimensions : undefined;
}

function batchSizeOf(model: LlmModel): number {
  const b = model.config.batch_size;
  return typeof b === 'number' && Number.isInteger(b) && b > 0 ? Math.min(b, 4096) : DEFAULT_EMBED_BATCH_SIZE;
}

function normalise(vector: number[]): number[] {
  let norm = 0;
  for (const x of vector) norm += x * x;
  if (norm === 0) return vector;
  const inv = 1 / Math.sqrt(norm);
  return vector.map((x) => x * inv);
}

/** The caller's messages with the passages added as one system message after theirs. */
export function withPassages(messages: ChatMessage[], passages: readonly Passage[] | undefined): ChatMessage[] {
  if (!passages || passages.length === 0) return messages;
  const context = passages.map((p) => `${p.citation} ${p.text.trim()}`).join('\n\n');
  const instruction: ChatMessage = {
    role: 'system',
    content:
      'Answer from the numbered passages below only. Cite every statement with the marker of the passage it comes ' +
      'from, for example [1]. If the passages do not contain the answer, say plainly that the documents do not ' +
      'contain it, and do not quote or summarise passages that do not answer the question.\n\n' +
      context,
  };
  const firstNonSystem = messages.findIndex((m) => m.role !== 'system');
  const at = firstNonSystem === -1 ? messages.length : firstNonSystem;
  return [...messages.slice(0, at), instruction, ...messages.slice(at)];
}

function lastUserMessage(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return messages[i]?.content ?? '';
  return '';
}

const outcomeOf = (error: unknown) => (error instanceof LlmError ? error.kind : 'error');

export class LlmRouter {
  private readonly metrics: ModelMetrics;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly outbound: OutboundPolicy;

  constructor(readonly options: LlmRouterOptions = {}) {
    this.metrics = modelMetrics(options.registry);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.retries = options.retries ?? 2;
    this.outbound = options.outbound ?? new OutboundPolicy();
  }

  /** Direct endpoints are judged by their provider; the configured LiteLLM proxy may be private. */
  private callContext(model: LlmModel, route: Exclude<Route, { kind: 'local' }>, signal?: AbortSignal): CallContext {
    const allowPrivate = (route.kind === 'openai' && route.via === 'litellm') || allowsPrivateTargets(model.provider);
    return {
      timeoutMs: this.timeoutMs,
      ...(signal ? { signal } : {}),
      outbound: { policy: this.outbound, allowPrivate },
    };
  }

  /** Where calls for `model` go (throws `not_configured` for proxy providers without a proxy). */
  route(model: LlmModel): Route {
    return resolveRoute(model, this.options.litellm, this.options.directApiKey?.(model));
  }

  /**
   * Embeds `texts` in batches of `config.batch_size`, in order. Every vector must have
   * `config.dimensions` entries (DimensionMismatchError otherwise). Never falls back to
   * another model: vectors of another model are meaningless in the same collection.
   */
  async embed(model: LlmModel, texts: string[], options: { signal?: AbortSignal } = {}): Promise<number[][]> {
    if (model.type !== 'embedding') {
      throw new LlmError('bad_request', `Model ${model.model_id} is a ${model.type} model, not an embedding model`);
    }
    if (texts.length === 0) return [];
    const labels = { model: model.model_id, provider: model.provider, type: 'embedding' };
    let route: Route;
    try {
      route = this.route(model);
    } catch (error) {
      this.metrics.requests.inc({ ...labels, outcome: outcomeOf(error) });
      throw error;
    }
    const expected = configuredDimensions(model);
    const size = batchSizeOf(model);
    const out: number[][] = [];
    for (let start = 0; start < texts.length; start += size) {
      const batch = texts.slice(start, start + size);
      const stop = this.metrics.latency.startTimer(labels);
      try {
        let vectors = await this.embedBatch(model, route, batch, options.signal);
        for (const vector of vectors) {
          const reference = expected ?? vectors[0]?.length ?? 0;
          if (vector.length !== reference) throw new DimensionMismatchError(reference, vector.length, model.model_id);
        }
        if (route.kind !== 'local' && model.config.normalize !== false) vectors = vectors.map(normalise);
        out.push(...vectors);
        this.metrics.requests.inc({ ...labels, outcome: 'success' });
      } catch (error) {
        this.metrics.requests.inc({ ...labels, outcome: outcomeOf(error) });
        throw error;
      } finally {
        stop();
      }
    }
    return out;
  }

  private async embedBatch(model: LlmModel, route: Route, batch: string[], signal?: AbortSignal) {
    if (route.kind === 'local') {
      const dimensions = configuredDimensions(model);
      const vectors = batch.map((text) => localEmbed(model.model_id, text, dimensions));
      await new Promise((resolve) => setImmediate(resolve)); // let other work run between batches
      return vectors;
    }
    const ctx = this.callContext(model, route, signal);
    return withRetries(this.retryPolicy(model, signal), () =>
      route.kind === 'ollama' ? embedOllama(route, batch, ctx) : embedOpenAi(route, batch, ctx),
    );
  }

  private retryPolicy(model: LlmModel, signal?: AbortSignal) {
    return {
      retries: this.retries,
      baseDelayMs: this.options.retryBaseDelayMs ?? 250,
      maxDelayMs: this.options.retryMaxDelayMs ?? 10_000,
      ...(signal ? { signal } : {}),
      onRetry: (error: LlmError, attempt: number, delayMs: number) =>
        this.options.logger?.warn(
          { model: model.id, provider: model.provider, kind: error.kind, attempt, delayMs: Math.round(delayMs) },
          `model call failed (${error.message}); retrying`,
        ),
    };
  }

  /**
   * Scores `documents` against `query` with a rerank model through the LiteLLM proxy's
   * `/rerank` (alias `db-{id}`, Cohere wire format) and returns the results best first.
   * One attempt within `timeoutMs` (a caller on a time budget prefers its unreranked
   * results to a retry); never falls back to another model.
   */
  async rerank(
    model: LlmModel,
    query: string,
    documents: string[],
    options: RerankRequestOptions = {},
  ): Promise<RerankResult[]> {
    if (model.type !== 'rerank') {
      throw new LlmError('bad_request', `Model ${model.model_id} is a ${model.type} model, not a rerank model`);
    }
    if (documents.length === 0) return [];
    const labels = { model: model.model_id, provider: model.provider, type: 'rerank' };
    const stop = this.metrics.latency.startTimer(labels);
    try {
      if (model.provider === 'local' || isDirectProvider(model)) {
        throw new LlmError('bad_request', `Provider ${model.provider} has no rerank API`);
      }
      const route = this.route(model);
      if (route.kind !== 'openai') throw new LlmError('bad_request', `Provider ${model.provider} has no rerank API`);
      // The route's base ends in /v1; the proxy's rerank route is at its root.
      const url = joinUrl(route.baseUrl.replace(/\/v1$/, ''), '/rerank');
      const body = await requestJson<unknown>({
        url,
        body: rerankBody('litellm', route.model, query, documents, options.topN),
        headers: route.headers,
        target: route.target,
        timeoutMs: options.timeoutMs ?? this.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
        outbound: { policy: this.outbound, allowPrivate: true },
      });
      const results = parseRerankResults(body, documents.length, route.target, url);
      this.metrics.requests.inc({ ...labels, outcome: 'success' });
      return results;
    } catch (error) {
      this.metrics.requests.inc({ ...labels, outcome: outcomeOf(error) });
      throw error;
    } finally {
      stop();
    }
  }

  /**
   * Streams an answer as `token` chunks and ends with one `done` chunk naming the model
   * that answered. When the model is unavailable before the first token (unreachable,
   * timed out, rate-limited, unknown, misconfigured) and `fallbackGeneration()` names
   * another model, that model answers instead and `done.fallback_used` is true.
   */
  async *generate(model: LlmModel, request: GenerateRequest): AsyncGenerator<GenerateChunk> {
    if (model.type !== 'generation') {
      throw new LlmError('bad_request', `Model ${model.model_id} is an ${model.type} model, not a generation model`);
    }
    const progress = { emitted: false };
    try {
      yield* this.generateWith(model, request, progress, undefined);
    } catch (error) {
      const fallback = this.options.fallbackGeneration?.();
      const usable =
        error instanceof LlmError &&
        error.unavailable &&
        !progress.emitted &&
        !request.signal?.aborted &&
        fallback !== undefined &&
        fallback.id !== model.id &&
        fallback.type === 'generation';
      if (!usable) throw error;
      const reason = (error as LlmError).message;
      this.options.logger?.warn(
        { model: model.id, fallback: fallback.id, kind: (error as LlmError).kind },
        `generation model unavailable (${reason}); answering with the fallback model`,
      );
      this.metrics.fallbacks.inc({ model: model.model_id, fallback_model: fallback.model_id });
      yield* this.generateWith(fallback, request, { emitted: false }, reason);
    }
  }

  private async *generateWith(
    model: LlmModel,
    request: GenerateRequest,
    progress: { emitted: boolean },
    fallbackReason: string | undefined,
  ): AsyncGenerator<GenerateChunk> {
    const labels = { model: model.model_id, provider: model.provider, type: 'generation' };
    const stop = this.metrics.latency.startTimer(labels);
    let outcome = 'cancelled';
    try {
      const route = this.route(model);
      let finish: StreamEvent | undefined;
      // The attempt runs as a generator inside retry(): tokens are collected per attempt
      // only until the first one, then streamed; once tokens went out, a retry would repeat
      // them, so a failure after that is final.
      const attempts = this.attempts(model, route, request, progress);
      for await (const event of attempts) {
        if (event.text) yield { type: 'token', text: event.text };
        if (event.finishReason) finish = event;
      }
      outcome = 'success';
      yield {
        type: 'done',
        model_id: model.id,
        fallback_used: fallbackReason !== undefined,
        ...(fallbackReason !== undefined ? { fallback_reason: fallbackReason } : {}),
        finish_reason: finish?.finishReason ?? 'stop',
        ...(finish?.usage ? { usage: finish.usage } : {}),
      };
    } catch (error) {
      outcome = outcomeOf(error);
      throw error;
    } finally {
      this.metrics.requests.inc({ ...labels, outcome });
      stop();
    }
  }

  /**
   * The model's stream, with transient failures retried until its first token (the shared
   * retry policy: backoff with jitter, the provider's Retry-After, cancellable). Once a
   * token went out a retry would repeat it, so a failure after that is final.
   */
  private async *attempts(
    model: LlmModel,
    route: Route,
    request: GenerateRequest,
    progress: { emitted: boolean },
  ): AsyncGenerator<StreamEvent> {
    const opened = await retry(
      {
        retries: progress.emitted ? 0 : this.retries,
        baseDelayMs: this.options.retryBaseDelayMs ?? 250,
        maxDelayMs: this.options.retryMaxDelayMs ?? 10_000,
        ...(request.signal ? { signal: request.signal } : {}),
        retryable: isRetryable,
        serverDelayMs: retryAfterOf,
        sleep,
        onRetry: (error, attempt) =>
          this.options.logger?.warn(
            { model: model.id, provider: model.provider, kind: (error as LlmError).kind, attempt },
            `generation failed before the first token (${(error as Error).message}); retrying`,
          ),
      },
      async () => {
        const iterator = this.stream(model, route, request)[Symbol.asyncIterator]();
        const before: StreamEvent[] = [];
        for (;;) {
          const next = await iterator.next();
          if (next.done) return { iterator, before, ended: true };
          before.push(next.value);
          if (next.value.text) return { iterator, before, ended: false };
        }
      },
    );
    for (const event of opened.before) {
      if (event.text) progress.emitted = true;
      yield event;
    }
    if (opened.ended) return;
    for (let next = await opened.iterator.next(); !next.done; next = await opened.iterator.next()) {
      if (next.value.text) progress.emitted = true;
      yield next.value;
    }
  }

  private stream(model: LlmModel, route: Route, request: GenerateRequest): AsyncGenerator<StreamEvent> {
    if (route.kind === 'local') return localAnswer(request);
    const ctx = this.callContext(model, route, request.signal);
    const messages = withPassages(request.messages, request.passages);
    return route.kind === 'ollama'
      ? chatOllama(route, messages, request, ctx)
      : chatOpenAi(route, messages, request, ctx);
  }
}

async function* localAnswer(request: GenerateRequest): AsyncGenerator<StreamEvent> {
  const question = lastUserMessage(request.messages);
  const answer = extractiveAnswer(question, request.passages ?? []);
  const tokens = toTokens(answer.text);
  const limit = request.max_tokens ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  for (const token of tokens) {
    if (request.signal?.aborted) throw new LlmError('aborted', 'The answer was cancelled');
    if (sent >= limit) break;
    yield { text: token };
    sent++;
  }
  const prompt = question.split(/\s+/).filter(Boolean).length;
  yield {
    finishReason: sent < tokens.length ? 'length' : 'stop',
    usage: { prompt_tokens: prompt, completion_tokens: sent, total_tokens: prompt + sent },
  };
}
