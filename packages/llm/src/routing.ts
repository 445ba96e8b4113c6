/**
 * Where a model's calls go: `local` in-process, `ollama` and `lmstudio` straight to the
 * model's endpoint, every other provider through the LiteLLM proxy under `db-{uuid}`
 * (so only proxy-sync ever handles decrypted provider keys).
 */
import { DIRECT_CALL_PROVIDERS, proxyAlias } from '@lumikb/contracts';
import { LlmError } from './errors.ts';
import { joinUrl } from './http.ts';
import type { LiteLlmTarget, LlmModel } from './types.ts';

export const DEFAULT_OLLAMA_URL = 'http://localhost:11434';
export const DEFAULT_LMSTUDIO_URL = 'http://localhost:1234/v1';

export type Route =
  | { kind: 'local' }
  | { kind: 'ollama'; baseUrl: string; model: string; target: string; headers: Record<string, string> }
  | {
      kind: 'openai';
      /** Base URL including the `/v1` segment; `/embeddings` and `/chat/completions` are appended. */
      baseUrl: string;
      /** The `model` field to send: the provider's id, or the proxy alias. */
      model: string;
      target: string;
      headers: Record<string, string>;
      via: 'direct' | 'litellm';
    };

/** Ollama's native API lives at the server root; accept a base URL given with `/v1` or `/api`. */
export function ollamaBaseUrl(endpoint: string | null): string {
  return (endpoint?.trim() || DEFAULT_OLLAMA_URL).replace(/\/+$/, '').replace(/\/(v1|api)$/, '');
}

/** LM Studio's OpenAI-compatible API is at `/v1`; accept the server root too. */
export function lmStudioBaseUrl(endpoint: string | null): string {
  const base = (endpoint?.trim() || DEFAULT_LMSTUDIO_URL).replace(/\/+$/, '');
  return base.endsWith('/v1') ? base : `${base}/v1`;
}

export function resolveRoute(model: LlmModel, litellm: LiteLlmTarget | undefined, directApiKey?: string): Route {
  if (model.provider === 'local') return { kind: 'local' };
  const bearer: Record<string, string> = directApiKey ? { authorization: `Bearer ${directApiKey}` } : {};
  if (model.provider === 'ollama') {
    return {
      kind: 'ollama',
      baseUrl: ollamaBaseUrl(model.api_endpoint),
      model: model.model_id,
      target: 'Ollama',
      headers: bearer,
    };
  }
  if (model.provider === 'lmstudio') {
    return {
      kind: 'openai',
      baseUrl: lmStudioBaseUrl(model.api_endpoint),
      model: model.model_id,
      target: 'LM Studio',
      headers: bearer,
      via: 'direct',
    };
  }
  if (!litellm?.url) {
    throw new LlmError(
      'not_configured',
      `Model ${model.model_id} (${model.provider}) is called through the LiteLLM proxy, but no LiteLLM proxy URL is configured (LITELLM_PROXY_URL)`,
      { provider: model.provider },
    );
  }
  return {
    kind: 'openai',
    baseUrl: joinUrl(litellm.url, '/v1'),
    model: proxyAlias(model.id),
    target: 'the LiteLLM proxy',
    headers: litellm.masterKey ? { authorization: `Bearer ${litellm.masterKey}` } : {},
    via: 'litellm',
  };
}

export function isDirectProvider(model: Pick<LlmModel, 'provider'>): boolean {
  return DIRECT_CALL_PROVIDERS.includes(model.provider);
}
