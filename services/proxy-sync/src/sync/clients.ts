/**
 * The two services proxy-sync talks to: the LiteLLM proxy's model management API
 * (reference/protocols.md §1) and the registry's internal credentials API (service
 * identities only). Failures surface as LlmError (timeout, unreachable, auth, …).
 */
import type { ModelView } from '@lumikb/contracts';
import { LlmError, type OutboundPolicy, requestJson } from '@lumikb/llm';
import type { ServiceTokenSource } from '@lumikb/service-kit';

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
export interface ModelWithKey extends ModelView {
  api_key: string | null;
  credentials_error?: string;
}

export class RegistryClient {
  constructor(
    private readonly url: string,
    private readonly token: ServiceTokenSource,
    private readonly timeoutMs: number,
    private readonly signal?: AbortSignal,
  ) {}

  private async get<T>(path: string): Promise<T> {
    let token: string;
    try {
      token = await this.token();
    } catch (error) {
      throw new LlmError(
        'auth',
        `cannot obtain a service token to call the registry: ${error instanceof Error ? error.message : error}`,
      );
    }
    return requestJson<T>({
      url: `${this.url.replace(/\/+$/, '')}${path}`,
      headers: { authorization: `Bearer ${token}` },
      target: 'the registry',
      timeoutMs: this.timeoutMs,
      ...(this.signal ? { signal: this.signal } : {}),
    });
  }

  /** A model with its key; undefined when the registry no longer has it. */
  async credentials(id: string): Promise<ModelWithKey | undefined> {
    try {
      return await this.get<ModelWithKey>(`/internal/models/${encodeURIComponent(id)}/credentials`);
    } catch (error) {
      // A missing route (an older registry) must not read as "model deleted".
      if (
        error instanceof LlmError &&
        error.kind === 'not_found' &&
        !/route/i.test(String(error.details.provider_message))
      ) {
        return undefined;
      }
      throw error;
    }
  }

  async list(): Promise<ModelWithKey[]> {
    const body = await this.get<{ items?: ModelWithKey[] }>('/internal/models');
    return body.items ?? [];
  }
}
