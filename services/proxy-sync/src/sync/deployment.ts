/**
 * What a registry model becomes in the LiteLLM proxy: alias `db-{uuid}`, our model id as
 * `model_info.id` (so registration is idempotent), and `litellm_params` by provider
 * (reference/protocols.md §1, provider prefixes).
 */
import { type ModelType, type Provider, proxyAlias } from '@lumikb/contracts';
import { lmStudioBaseUrl, ollamaBaseUrl } from '@lumikb/llm';
import type { ProxyDeployment, ProxyEntry } from './clients.ts';

/** The non-secret state of a model that decides its deployment. */
export interface DesiredModel {
  id: string;
  type: ModelType | string;
  provider: Provider | string;
  model_id: string;
  api_endpoint: string | null;
  config: Record<string, unknown>;
  status: string;
  deleted: boolean;
  /** The registry's updated_at, stamped on the proxy entry as `model_info.lumikb_version`. */
  version: string | null;
}

export interface ProxyUrls {
  ollamaUrlForProxy?: string | undefined;
  lmStudioUrlForProxy?: string | undefined;
}

/**
 * Models of providers other than `local` live in the proxy unless deactivated or
 * deleted. Deprecated models stay: knowledge bases that still use them must keep working.
 */
export function belongsInProxy(model: Pick<DesiredModel, 'provider' | 'status' | 'deleted'>): boolean {
  return !model.deleted && model.status !== 'inactive' && model.provider !== 'local';
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

function params(model: DesiredModel, urls: ProxyUrls): Record<string, unknown> {
  const endpoint = str(model.api_endpoint);
  const name = model.model_id;
  if (model.type === 'rerank') {
    // LiteLLM's /rerank: Cohere natively; Jina and any Jina-compatible server (custom) through
    // its jina_ai provider, which keeps only the scheme, host and port of api_base (/v1/rerank).
    const prefix = model.provider === 'cohere' ? 'cohere' : 'jina_ai';
    return { model: `${prefix}/${name}`, ...(endpoint ? { api_base: endpoint } : {}) };
  }
  switch (model.provider) {
    case 'ollama':
      return { model: `ollama/${name}`, api_base: urls.ollamaUrlForProxy ?? ollamaBaseUrl(model.api_endpoint) };
    case 'lmstudio':
      return { model: `lm_studio/${name}`, api_base: urls.lmStudioUrlForProxy ?? lmStudioBaseUrl(model.api_endpoint) };
    case 'azure':
      return {
        model: `azure/${name}`,
        ...(endpoint ? { api_base: endpoint } : {}),
        api_version: str(model.config.api_version) ?? '2024-10-21',
      };
    case 'anthropic':
      return { model: `anthropic/${name}`, ...(endpoint ? { api_base: endpoint } : {}) };
    case 'cohere':
      return { model: `cohere/${name}`, ...(endpoint ? { api_base: endpoint } : {}) };
    case 'google':
      return { model: `gemini/${name.replace(/^models\//, '')}`, ...(endpoint ? { api_base: endpoint } : {}) };
    case 'openai': {
      const organization = str(model.config.organization);
      return {
        model: `openai/${name}`,
        ...(endpoint ? { api_base: endpoint } : {}),
        ...(organization ? { organization } : {}),
      };
    }
    default:
      // custom: any OpenAI-compatible server.
      return { model: `openai/${name}`, ...(endpoint ? { api_base: endpoint } : {}) };
  }
}

function info(model: DesiredModel): ProxyDeployment['model_info'] {
  const c = model.config;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const out: ProxyDeployment['model_info'] = {
    id: model.id,
    mode: model.type === 'embedding' ? 'embedding' : model.type === 'rerank' ? 'rerank' : 'chat',
    lumikb_provider: model.provider,
    lumikb_version: model.version,
  };
  const dimensions = num(c.dimensions);
  if (model.type === 'embedding' && dimensions) out.output_vector_size = dimensions;
  const maxInput = num(model.type === 'embedding' ? c.max_tokens : c.context_window);
  if (maxInput) out.max_input_tokens = maxInput;
  const maxOutput = num(c.max_output_tokens);
  if (maxOutput) out.max_output_tokens = maxOutput;
  const costIn = num(c.cost_per_1k_input);
  if (costIn) out.input_cost_per_token = costIn / 1000;
  const costOut = num(c.cost_per_1k_output);
  if (costOut) out.output_cost_per_token = costOut / 1000;
  return out;
}

/**
 * LiteLLM's jina_ai provider refuses to call without a key; a custom (Jina-compatible)
 * reranker registered without one gets this placeholder, which a server without
 * authentication ignores.
 */
export const NO_KEY_PLACEHOLDER = 'no-key';

export function buildDeployment(model: DesiredModel, apiKey: string | null, urls: ProxyUrls): ProxyDeployment {
  const key = apiKey ?? (model.type === 'rerank' && model.provider === 'custom' ? NO_KEY_PLACEHOLDER : null);
  return {
    model_name: proxyAlias(model.id),
    litellm_params: { ...params(model, urls), ...(key ? { api_key: key } : {}) },
    model_info: info(model),
  };
}

/**
 * Whether the proxy's entry already is what we would register. The key cannot be
 * compared (the proxy never shows it); a key change bumps the registry's updated_at,
 * which is compared as `lumikb_version`.
 */
export function entryMatches(entry: ProxyEntry, wanted: ProxyDeployment): boolean {
  if (entry.model_name !== wanted.model_name) return false;
  for (const [key, value] of Object.entries(wanted.litellm_params)) {
    if (key === 'api_key') continue;
    if (entry.litellm_params?.[key] !== value) return false;
  }
  for (const key of ['mode', 'lumikb_version', 'output_vector_size'] as const) {
    if ((entry.model_info[key] ?? null) !== (wanted.model_info[key] ?? null)) return false;
  }
  return true;
}
