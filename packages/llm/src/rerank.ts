/**
 * Rerank wire format (docs/llm-routing.md#rerank): Cohere's `/v1/rerank` and `/v2/rerank`,
 * Jina's `/v1/rerank` and the LiteLLM proxy's `/rerank` all take
 * `{model, query, documents: string[], top_n}` and answer
 * `{results: [{index, relevance_score}, …]}`, best first. One parser checks every answer:
 * each index within the documents sent, at most once, each score a finite number.
 */
import { LlmError } from './errors.ts';
import { joinUrl } from './http.ts';
import type { Provider } from './types.ts';

export interface RerankResult {
  /** Position of the document in the request. */
  index: number;
  relevance_score: number;
}

export interface RerankRequestOptions {
  /** Results wanted (the server returns at most this many); all documents when omitted. */
  topN?: number;
  signal?: AbortSignal;
  /** Whole-call time budget (default: the router's timeout). */
  timeoutMs?: number;
}

/** Longest document and query sent, in characters (a reranker reads a few hundred tokens of each). */
export const RERANK_MAX_DOCUMENT_CHARS = 4_000;
export const RERANK_MAX_QUERY_CHARS = 2_000;
/** Most documents in one call, whatever the model's own limit. */
export const RERANK_MAX_DOCUMENTS = 1_000;

export const DEFAULT_COHERE_URL = 'https://api.cohere.com';
export const DEFAULT_JINA_URL = 'https://api.jina.ai';

/** Only the scheme, host and port of a Jina-compatible base URL count: requests go to /v1/rerank (as LiteLLM's jina_ai does). */
export function jinaRerankUrl(endpoint: string | null | undefined): string {
  const base = endpoint?.trim() || DEFAULT_JINA_URL;
  try {
    return `${new URL(base).origin}/v1/rerank`;
  } catch {
    throw new LlmError('bad_request', `The rerank endpoint "${base}" is not a valid URL`);
  }
}

/** Cohere's v2 rerank at `{base}/v2/rerank`; a base given with /v1 or /v2 is tolerated. */
export function cohereRerankUrl(endpoint: string | null | undefined): string {
  let base = (endpoint?.trim() || DEFAULT_COHERE_URL).replace(/\/+$/, '');
  for (const suffix of ['/v1', '/v2']) if (base.endsWith(suffix)) base = base.slice(0, -suffix.length);
  return joinUrl(base, '/v2/rerank');
}

/** The native rerank URL of a provider (connection tests; the router goes through the proxy). */
export function nativeRerankUrl(provider: Provider, endpoint: string | null): string {
  if (provider === 'cohere') return cohereRerankUrl(endpoint);
  if (provider === 'jina' || provider === 'custom') {
    if (provider === 'custom' && !endpoint?.trim()) {
      throw new LlmError('bad_request', 'A custom rerank model needs an API endpoint (base URL)');
    }
    return jinaRerankUrl(endpoint);
  }
  throw new LlmError('bad_request', `Provider ${provider} has no rerank API`);
}

/** The request body; Jina-style servers are asked not to echo the documents back. */
export function rerankBody(
  provider: Provider | 'litellm',
  model: string,
  query: string,
  documents: string[],
  topN: number | undefined,
): Record<string, unknown> {
  return {
    model,
    query: query.slice(0, RERANK_MAX_QUERY_CHARS),
    documents: documents.map((d) => d.slice(0, RERANK_MAX_DOCUMENT_CHARS)),
    ...(topN !== undefined ? { top_n: Math.min(topN, documents.length) } : {}),
    ...(provider === 'jina' || provider === 'custom' || provider === 'litellm' ? { return_documents: false } : {}),
  };
}

/** The `results` of a rerank answer, checked and ordered best first (ties by index). */
export function parseRerankResults(body: unknown, documents: number, target: string, url: string): RerankResult[] {
  const invalid = (why: string) =>
    new LlmError('invalid_response', `${target} returned an unexpected rerank response: ${why}`, { url });
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) throw invalid('no "results" array');
  if (results.length > documents) throw invalid(`${results.length} results for ${documents} documents`);
  const seen = new Set<number>();
  const out: RerankResult[] = [];
  for (const r of results) {
    const index = (r as { index?: unknown })?.index;
    const score = (r as { relevance_score?: unknown })?.relevance_score;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= documents) {
      throw invalid(`result index ${JSON.stringify(index)} is not one of the ${documents} documents`);
    }
    if (seen.has(index)) throw invalid(`document ${index} is ranked twice`);
    if (typeof score !== 'number' || !Number.isFinite(score)) throw invalid('a relevance_score is not a number');
    seen.add(index);
    out.push({ index, relevance_score: score });
  }
  return out.sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
}
