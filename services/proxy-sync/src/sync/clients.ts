/**
 * The two services proxy-sync talks to: the LiteLLM proxy's model management API
 * (reference/protocols.md §1; failures as LlmError: timeout, unreachable, auth, …) and
 * the registry's internal credentials API (service identities only; failures as
 * InternalCallError with the platform's codes).
 */
import {
  INTERNAL_REGISTRY_PATHS,
  type ModelCredentialsList,
  ModelCredentialsListSchema,
  ModelCredentialsSchema,
} from '@lumikb/contracts';
import { LlmError, type OutboundPolicy, requestJson } from '@lumikb/llm';
import { createInternalClient, InternalCallError, type ServiceTokenSource } from '@lumikb/service-kit';

export interface ProxyDeployment {
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown> & { id: string };
}

/** An entry of GET /model/info (credentials already stripped by the proxy). */
export interface ProxyEntry {
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown> & { id: string; db_model?: boolean };
}

const TARGET = 'the LiteLLM proxy';

function isNotFound(error: unknown): boolean {
  return (
    error instanceof LlmError &&
    (error.kind === 'not_found' || error.kind === 'bad_request') &&
    /not found/i.test(String(error.details.provider_message ?? error.message))
  );
}

export class LiteLlmClient {
  constructor(
    readonly url: string,
    private readonly masterKey: string | undefined,
    private readonly timeoutMs: number,
    /** Aborted at shutdown, so no call outlives the service. */
    private readonly signal?: AbortSignal,
    /** The configured proxy may be private, but never metadata, link-local or one of our services. */
    private readonly outbound?: OutboundPolicy,
  ) {}

  private get guard() {
    return this.outbound ? { outbound: { policy: this.outbound, allowPrivate: true } } : {};
  }

  private call<T>(path: string, init: { method?: 'GET' | 'POST' | 'PATCH'; body?: unknown } = {}): Promise<T> {
    return requestJson<T>({
      url: `${this.url.replace(/\/+$/, '')}${path}`,
      ...(init.method ? { method: init.method } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      headers: this.masterKey ? { authorization: `Bearer ${this.masterKey}` } : {},
      target: TARGET,
      timeoutMs: this.timeoutMs,
      ...(this.signal ? { signal: this.signal } : {}),
      ...this.guard,
    });
  }

  /** Liveness (no auth needed); throws when the proxy does not answer. */
  async alive(): Promise<void> {
    await requestJson({
      url: `${this.url.replace(/\/+$/, '')}/health/liveliness`,
      target: TARGET,
      timeoutMs: Math.min(this.timeoutMs, 2_000),
      ...this.guard,
    });
  }

  async list(): Promise<ProxyEntry[]> {
    const body = await this.call<{ data?: ProxyEntry[] }>('/model/info');
    return (body.data ?? []).filter((e) => typeof e?.model_info?.id === 'string');
  }

  async findById(id: string): Promise<ProxyEntry | undefined> {
    try {
      const body = await this.call<{ data?: ProxyEntry[] }>(`/model/info?litellm_model_id=${encodeURIComponent(id)}`);
      return (body.data ?? []).find((e) => e.model_info?.id === id);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** POST /model/new; `exists` when the id is already taken (the proxy's mislabelled 400). */
  async add(deployment: ProxyDeployment): Promise<'added' | 'exists'> {
    try {
      await this.call('/model/new', { method: 'POST', body: deployment });
      return 'added';
    } catch (error) {
      if (
        error instanceof LlmError &&
        error.kind === 'bad_request' &&
        /unique constraint|already exists/i.test(String(error.details.provider_message ?? ''))
      ) {
        return 'exists';
      }
      throw error;
    }
  }

  /** PATCH /model/{id}/update (a partial merge; we always send every field we own). */
  async update(id: string, deployment: ProxyDeployment): Promise<void> {
    await this.call(`/model/${encodeURIComponent(id)}/update`, { method: 'PATCH', body: deployment });
  }

  /** POST /model/delete {id}; `absent` when the proxy has no such DB model. */
  async remove(id: string): Promise<'removed' | 'absent'> {
    try {
      await this.call('/model/delete', { method: 'POST', body: { id } });
      return 'removed';
    } catch (error) {
      if (isNotFound(error)) return 'absent';
      throw error;
    }
  }
}

/** The registry's model view with its decrypted key (never logged, never stored here). */
export type ModelWithKey = ModelCredentialsList['items'][number];

/**
 * The registry's internal credentials API through the one internal client: the answers
 * are checked against the contract the registry's own routes use, and failures are
 * InternalCallError with platform codes (a token failure is SERVICE_TOKEN_UNAVAILABLE,
 * not a model's "auth" error).
 */
export interface RegistryClient {
  /** A model with its key; undefined when the registry no longer has it. */
  credentials(id: string): Promise<ModelWithKey | undefined>;
  list(): Promise<ModelWithKey[]>;
}

export function createRegistryClient(options: {
  url: string;
  token: ServiceTokenSource;
  timeoutMs: number;
  signal?: AbortSignal;
}): RegistryClient {
  const client = createInternalClient({
    target: 'the registry',
    baseUrl: options.url,
    token: options.token,
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    async credentials(id) {
      try {
        return await client.get(INTERNAL_REGISTRY_PATHS.modelCredentials(id), ModelCredentialsSchema);
      } catch (error) {
        // Only the registry's own "no such model" means deleted; a missing route (an
        // older registry) or any other failure must not read as "model deleted".
        if (error instanceof InternalCallError && error.upstreamCode === 'MODEL_NOT_FOUND') return undefined;
        throw error;
      }
    },
    async list() {
      return (await client.get(INTERNAL_REGISTRY_PATHS.models, ModelCredentialsListSchema)).items;
    },
  };
}
