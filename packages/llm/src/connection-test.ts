/**
 * Connection tests: prove a model answers before anyone depends on it. Embedding models
 * embed a short text and must return `config.dimensions` floats; generation models are
 * asked for a one-token completion. Each provider is called at its native API (base URL
 * overridable by `api_endpoint`), or through the LiteLLM proxy alias when a proxy is
 * given and already holds the model. Never throws, never takes longer than `timeoutMs`.
 */
import { proxyAlias } from '@lumikb/contracts';
import { LlmError } from './errors.ts';
import { describeUrl, formatMs, joinUrl, type OutboundGuard, requestJson } from './http.ts';
import { localEmbed } from './local/embedder.ts';
import { extractiveAnswer } from './local/extractive.ts';
import { allowsPrivateTargets, OutboundPolicy } from './outbound.ts';
import { nativeRerankUrl, parseRerankResults, rerankBody } from './rerank.ts';
import { configuredDimensions } from './router.ts';
import { isDirectProvider, lmStudioBaseUrl, ollamaBaseUrl } from './routing.ts';
import type { ConnectionTestOptions, ConnectionTestResult, LiteLlmTarget, LlmModel, Provider } from './types.ts';

export const CONNECTION_TEST_TIMEOUT_MS = 5_000;
export const CONNECTION_TEST_TEXT = 'LumiKB connection test';
const CHAT_PROMPT = 'Reply with OK.';

export const PROVIDER_LABELS: Record<Provider, string> = {
  local: 'the built-in local provider',
  ollama: 'Ollama',
  lmstudio: 'LM Studio',
  openai: 'OpenAI',
  azure: 'Azure OpenAI',
  anthropic: 'Anthropic',
  cohere: 'Cohere',
  google: 'Google Gemini',
  jina: 'Jina AI',
  custom: 'the OpenAI-compatible endpoint',
};

const KEY_REQUIRED: readonly Provider[] = ['openai', 'azure', 'anthropic', 'cohere', 'google', 'jina'];

/** A rerank test: one relevant and one unrelated passage; both must come back scored. */
export const RERANK_TEST_DOCUMENTS = [
  'LumiKB connection test: this passage answers the query.',
  'An unrelated passage about the weather in spring.',
];

interface ProbeContext {
  model: LlmModel;
  apiKey: string | undefined;
  signal: AbortSignal;
  timeoutMs: number;
  policy: OutboundPolicy;
}

interface ProbeOutcome {
  /** Length of the returned embedding (embedding models). */
  dimensions?: number;
  /** Documents scored (rerank models). */
  scored?: number;
  route: 'local' | 'direct' | 'litellm';
  url?: string;
  target: string;
}

class Probe {
  route: 'local' | 'direct' | 'litellm' = 'direct';
  url: string | undefined;
  target: string;

  constructor(readonly ctx: ProbeContext) {
    this.target = PROVIDER_LABELS[ctx.model.provider];
  }

  async post<T>(url: string, body: unknown, headers: Record<string, string>): Promise<T> {
    this.url = url;
    return requestJson<T>({
      url,
      body,
      headers,
      target: this.target,
      timeoutMs: this.ctx.timeoutMs,
      signal: this.ctx.signal,
      outbound: this.guard(),
    });
  }

  /** The model's own endpoint is judged by its provider; the configured proxy is trusted to be private. */
  guard(): OutboundGuard {
    const allowPrivate = this.route === 'litellm' || allowsPrivateTargets(this.ctx.model.provider);
    return { policy: this.ctx.policy, allowPrivate };
  }

  outcome(dimensions?: number, scored?: number): ProbeOutcome {
    return {
      route: this.route,
      target: this.target,
      ...(this.url ? { url: describeUrl(this.url) } : {}),
      ...(dimensions !== undefined ? { dimensions } : {}),
      ...(scored !== undefined ? { scored } : {}),
    };
  }

  /** A real rerank call of the two test passages; both must come back with a score. */
  async rerank(url: string, body: Record<string, unknown>, headers: Record<string, string>): Promise<ProbeOutcome> {
    const answer = await this.post<unknown>(url, body, headers);
    const results = parseRerankResults(answer, RERANK_TEST_DOCUMENTS.length, this.target, url);
    if (results.length !== RERANK_TEST_DOCUMENTS.length) {
      throw new LlmError(
        'invalid_response',
        `${this.target} scored ${results.length} of the ${RERANK_TEST_DOCUMENTS.length} test passages`,
        { url },
      );
    }
    return this.outcome(undefined, results.length);
  }
}

const strip = (url: string, ...suffixes: string[]) => {
  let out = url.trim().replace(/\/+$/, '');
  for (const suffix of suffixes) if (out.endsWith(suffix)) out = out.slice(0, -suffix.length);
  return out;
};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

function firstVector(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || value.some((x) => typeof x !== 'number')) {
    throw new LlmError('invalid_response', `the response has no ${what}`);
  }
  return value as number[];
}

async function probeOpenAiCompatible(probe: Probe, base: string, model: string, headers: Record<string, string>) {
  const { type } = probe.ctx.model;
  if (type === 'embedding') {
    const body = await probe.post<{ data?: { embedding?: unknown }[] }>(
      joinUrl(base, '/embeddings'),
      { model, input: [CONNECTION_TEST_TEXT], encoding_format: 'float' },
      headers,
    );
    return probe.outcome(firstVector(body.data?.[0]?.embedding, 'embedding in data[0]').length);
  }
  const url = joinUrl(base, '/chat/completions');
  const messages = [{ role: 'user', content: CHAT_PROMPT }];
  try {
    await probe.post(url, { model, messages, max_tokens: 1 }, headers);
  } catch (error) {
    // Reasoning models refuse `max_tokens` and ask for `max_completion_tokens`.
    if (!(error instanceof LlmError && error.kind === 'bad_request' && /max_completion_tokens/.test(error.message))) {
      throw error;
    }
    await probe.post(url, { model, messages, max_completion_tokens: 16 }, headers);
  }
  return probe.outcome();
}

async function probeThroughProxy(probe: Probe, litellm: LiteLlmTarget): Promise<ProbeOutcome> {
  probe.route = 'litellm';
  probe.target = 'the LiteLLM proxy';
  const headers: Record<string, string> = litellm.masterKey ? { authorization: `Bearer ${litellm.masterKey}` } : {};
  if (probe.ctx.model.type === 'rerank') {
    const alias = proxyAlias(probe.ctx.model.id);
    return probe.rerank(
      joinUrl(litellm.url, '/rerank'),
      rerankBody('litellm', alias, CONNECTION_TEST_TEXT, RERANK_TEST_DOCUMENTS, RERANK_TEST_DOCUMENTS.length),
      headers,
    );
  }
  return probeOpenAiCompatible(probe, joinUrl(litellm.url, '/v1'), proxyAlias(probe.ctx.model.id), headers);
}

/** True when the proxy already holds `db-{id}` (checked quickly; any doubt → false). */
async function proxyHasModel(
  model: LlmModel,
  litellm: LiteLlmTarget,
  signal: AbortSignal,
  policy: OutboundPolicy,
): Promise<boolean> {
  try {
    const body = await requestJson<{ data?: { model_name?: string; model_info?: { id?: string } }[] }>({
      url: `${joinUrl(litellm.url, '/model/info')}?litellm_model_id=${encodeURIComponent(model.id)}`,
      headers: litellm.masterKey ? { authorization: `Bearer ${litellm.masterKey}` } : {},
      target: 'the LiteLLM proxy',
      timeoutMs: 1_500,
      signal,
      outbound: { policy, allowPrivate: true },
    });
    return (body.data ?? []).some((d) => d.model_info?.id === model.id && d.model_name === proxyAlias(model.id));
  } catch {
    return false;
  }
}

async function probeNative(probe: Probe): Promise<ProbeOutcome> {
  const { model, apiKey } = probe.ctx;
  const endpoint = text(model.api_endpoint);
  const bearer: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  if (model.type === 'rerank') {
    return probe.rerank(
      nativeRerankUrl(model.provider, model.api_endpoint),
      rerankBody(
        model.provider,
        model.model_id,
        CONNECTION_TEST_TEXT,
        RERANK_TEST_DOCUMENTS,
        RERANK_TEST_DOCUMENTS.length,
      ),
      bearer,
    );
  }
  switch (model.provider) {
    case 'local': {
      probe.route = 'local';
      if (model.type === 'embedding') {
        return probe.outcome(localEmbed(model.model_id, CONNECTION_TEST_TEXT, configuredDimensions(model)).length);
      }
      extractiveAnswer(CHAT_PROMPT, [{ text: 'The built-in answerer is working.', citation: '[1]' }]);
      return probe.outcome();
    }
    case 'ollama': {
      const base = ollamaBaseUrl(model.api_endpoint);
      if (model.type === 'embedding') {
        const body = await probe.post<{ embeddings?: unknown[] }>(
          joinUrl(base, '/api/embed'),
          { model: model.model_id, input: [CONNECTION_TEST_TEXT] },
          bearer,
        );
        return probe.outcome(firstVector(body.embeddings?.[0], 'embeddings[0]').length);
      }
      await probe.post(
        joinUrl(base, '/api/chat'),
        {
          model: model.model_id,
          messages: [{ role: 'user', content: CHAT_PROMPT }],
          stream: false,
          options: { num_predict: 1 },
        },
        bearer,
      );
      return probe.outcome();
    }
    case 'lmstudio':
      return probeOpenAiCompatible(probe, lmStudioBaseUrl(model.api_endpoint), model.model_id, bearer);
    case 'openai':
    case 'custom': {
      if (!endpoint && model.provider === 'custom') {
        throw new LlmError('bad_request', 'An OpenAI-compatible (custom) model needs an API endpoint (base URL)');
      }
      const organization = text(model.config.organization) ?? text(model.config.org_id);
      return probeOpenAiCompatible(probe, endpoint ?? 'https://api.openai.com/v1', model.model_id, {
        ...bearer,
        ...(organization ? { 'openai-organization': organization } : {}),
      });
    }
    case 'azure': {
      if (!endpoint) {
        throw new LlmError(
          'bad_request',
          'An Azure OpenAI model needs its endpoint, e.g. https://<resource>.openai.azure.com',
        );
      }
      const deployment =
        text(model.config.deployment) ??
        text(model.config.deployment_name) ??
        text(model.config.azure_deployment) ??
        model.model_id;
      const version = text(model.config.api_version) ?? '2024-10-21';
      const base = `${strip(endpoint, '/openai')}/openai/deployments/${encodeURIComponent(deployment)}`;
      const headers: Record<string, string> = apiKey ? { 'api-key': apiKey } : {};
      const query = `?api-version=${encodeURIComponent(version)}`;
      if (model.type === 'embedding') {
        const body = await probe.post<{ data?: { embedding?: unknown }[] }>(
          `${base}/embeddings${query}`,
          { input: [CONNECTION_TEST_TEXT], encoding_format: 'float' },
          headers,
        );
        return probe.outcome(firstVector(body.data?.[0]?.embedding, 'embedding in data[0]').length);
      }
      await probe.post(
        `${base}/chat/completions${query}`,
        { messages: [{ role: 'user', content: CHAT_PROMPT }], max_tokens: 1 },
        headers,
      );
      return probe.outcome();
    }
    case 'anthropic': {
      if (model.type === 'embedding') {
        throw new LlmError('bad_request', 'Anthropic has no embeddings API: use another provider for embedding models');
      }
      const base = strip(endpoint ?? 'https://api.anthropic.com', '/v1');
      await probe.post(
        joinUrl(base, '/v1/messages'),
        { model: model.model_id, max_tokens: 1, messages: [{ role: 'user', content: CHAT_PROMPT }] },
        {
          ...(apiKey ? { 'x-api-key': apiKey } : {}),
          'anthropic-version': text(model.config.anthropic_version) ?? '2023-06-01',
        },
      );
      return probe.outcome();
    }
    case 'cohere': {
      const base = strip(endpoint ?? 'https://api.cohere.com', '/v1', '/v2');
      if (model.type === 'embedding') {
        const body = await probe.post<{ embeddings?: { float?: unknown[] } | unknown[] }>(
          joinUrl(base, '/v2/embed'),
          {
            model: model.model_id,
            texts: [CONNECTION_TEST_TEXT],
            input_type: 'search_document',
            embedding_types: ['float'],
          },
          bearer,
        );
        const embeddings = Array.isArray(body.embeddings) ? body.embeddings : body.embeddings?.float;
        return probe.outcome(firstVector(embeddings?.[0], 'embeddings.float[0]').length);
      }
      await probe.post(
        joinUrl(base, '/v2/chat'),
        { model: model.model_id, messages: [{ role: 'user', content: CHAT_PROMPT }], max_tokens: 1 },
        bearer,
      );
      return probe.outcome();
    }
    case 'jina':
      throw new LlmError('bad_request', 'Jina AI models here are rerank models only');
    case 'google': {
      const base = strip(endpoint ?? 'https://generativelanguage.googleapis.com', '/v1beta', '/v1');
      const name = encodeURIComponent(model.model_id.replace(/^models\//, ''));
      const headers: Record<string, string> = apiKey ? { 'x-goog-api-key': apiKey } : {};
      if (model.type === 'embedding') {
        const body = await probe.post<{ embedding?: { values?: unknown } }>(
          joinUrl(base, `/v1beta/models/${name}:embedContent`),
          { content: { parts: [{ text: CONNECTION_TEST_TEXT }] } },
          headers,
        );
        return probe.outcome(firstVector(body.embedding?.values, 'embedding.values').length);
      }
      await probe.post(
        joinUrl(base, `/v1beta/models/${name}:generateContent`),
        {
          contents: [{ role: 'user', parts: [{ text: CHAT_PROMPT }] }],
          generationConfig: { maxOutputTokens: 1 },
        },
        headers,
      );
      return probe.outcome();
    }
  }
}

function explain(error: LlmError, model: LlmModel, target: string, keyGiven: boolean): string {
  const status = typeof error.details.status === 'number' ? ` (HTTP ${error.details.status})` : '';
  const said =
    typeof error.details.provider_message === 'string' ? `: ${error.details.provider_message.replace(/\.+$/, '')}` : '';
  switch (error.kind) {
    case 'auth':
      if (!status) return error.message;
      return keyGiven
        ? `${capital(target)} rejected the credentials${status}${said}. Check the API key and its permissions.`
        : `${capital(target)} requires authentication${status}${said}. No API key is set for this model.`;
    case 'not_found':
      if (model.provider === 'ollama') {
        return `Model "${model.model_id}" was not found on the Ollama server${status}${said}. Pull it first: ollama pull ${model.model_id}`;
      }
      if (model.provider === 'azure') {
        return `Azure OpenAI found no deployment for this model${status}${said}. Check the deployment name and API version.`;
      }
      return `Model "${model.model_id}" was not found by ${target}${status}${said}. Check the model id (and that the endpoint URL includes the API path, e.g. /v1).`;
    case 'rate_limited':
      return `${capital(target)} rate-limited the test${status}${said}. The endpoint answers, but the quota is exhausted right now; try again later.`;
    case 'provider_error':
      return `${capital(target)} failed with a server error${status}${said}.`;
    case 'refused':
      return error.message;
    case 'bad_request':
      return status ? `${capital(target)} rejected the test request${status}${said}.` : error.message;
    default:
      return error.message;
  }
}

let sharedDefaultPolicy: OutboundPolicy | undefined;
/** Without a configured policy the fence still stands (no own-service list, no allowed hosts). */
function defaultPolicy(): OutboundPolicy {
  sharedDefaultPolicy ??= new OutboundPolicy();
  return sharedDefaultPolicy;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function scrub<T>(value: T, secret: string | undefined): T {
  if (!secret || secret.length < 4) return value;
  return JSON.parse(JSON.stringify(value).split(secret).join('[redacted]')) as T;
}

export async function testModelConnection(
  model: LlmModel,
  credentials: { apiKey?: string },
  options: ConnectionTestOptions = {},
): Promise<ConnectionTestResult> {
  const timeoutMs = options.timeoutMs ?? CONNECTION_TEST_TIMEOUT_MS;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const controller = new AbortController();
  const apiKey = text(credentials.apiKey);
  const policy = options.outbound ?? defaultPolicy();
  const ctx: ProbeContext = { model, apiKey, signal: controller.signal, timeoutMs, policy };
  const probe = new Probe(ctx);
  const base = { provider: model.provider, model: model.model_id, type: model.type };

  const run = async (): Promise<ConnectionTestResult> => {
    try {
      if (KEY_REQUIRED.includes(model.provider) && !apiKey && !(model.provider === 'openai' && model.api_endpoint)) {
        throw new LlmError('auth', `${capital(PROVIDER_LABELS[model.provider])} needs an API key, and none is set`);
      }
      let outcome: ProbeOutcome;
      if (options.litellm?.url && model.provider !== 'local' && !isDirectProvider(model)) {
        outcome = (await proxyHasModel(model, options.litellm, controller.signal, policy))
          ? await probeThroughProxy(probe, options.litellm)
          : await probeNative(probe);
      } else {
        outcome = await probeNative(probe);
      }
      const details: Record<string, unknown> = {
        ...base,
        route: outcome.route,
        ...(outcome.url ? { url: outcome.url } : {}),
      };
      if (model.type === 'embedding') {
        const expected = configuredDimensions(model);
        const actual = outcome.dimensions ?? 0;
        details.actual_dimensions = actual;
        if (expected !== undefined) details.expected_dimensions = expected;
        if (expected !== undefined && actual !== expected) {
          return {
            success: false,
            message: `Dimension mismatch: ${outcome.target} returned vectors with ${actual} dimensions, but this model is configured with ${expected}. Set dimensions to ${actual} (or pick a model that produces ${expected}).`,
            latency_ms: elapsed(),
            details: { ...details, kind: 'dimension_mismatch' },
          };
        }
        return {
          success: true,
          message: `Embedding works: ${outcome.target} returned a vector with ${actual} dimensions in ${elapsed()} ms.`,
          latency_ms: elapsed(),
          details,
        };
      }
      if (model.type === 'rerank') {
        return {
          success: true,
          message: `Rerank works: ${outcome.target} scored ${outcome.scored} test passages in ${elapsed()} ms.`,
          latency_ms: elapsed(),
          details,
        };
      }
      return {
        success: true,
        message: `Generation works: ${outcome.target} answered in ${elapsed()} ms.`,
        latency_ms: elapsed(),
        details,
      };
    } catch (error) {
      const failure =
        error instanceof LlmError
          ? error
          : new LlmError('invalid_response', `Unexpected failure: ${error instanceof Error ? error.message : error}`);
      return {
        success: false,
        message: explain(failure, model, probe.target, Boolean(apiKey)),
        latency_ms: elapsed(),
        details: {
          ...base,
          route: probe.route,
          kind: failure.kind,
          ...(probe.url ? { url: describeUrl(probe.url) } : {}),
          ...(typeof failure.details.status === 'number' ? { status: failure.details.status } : {}),
          ...(typeof failure.details.provider_message === 'string'
            ? { provider_message: failure.details.provider_message }
            : {}),
          ...(typeof failure.details.code === 'string' ? { code: failure.details.code } : {}),
          ...(typeof failure.details.reason === 'string' ? { reason: failure.details.reason } : {}),
        },
      };
    }
  };

  // The probe's own timeouts fire first; this guard makes the limit hard regardless.
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<ConnectionTestResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({
        success: false,
        message: `Timed out after ${formatMs(timeoutMs)} waiting for ${probe.target}: the server is too slow or unreachable.`,
        latency_ms: elapsed(),
        details: {
          ...base,
          route: probe.route,
          kind: 'timeout',
          ...(probe.url ? { url: describeUrl(probe.url) } : {}),
        },
      });
    }, timeoutMs);
  });
  try {
    return scrub(await Promise.race([run(), guard]), apiKey);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
