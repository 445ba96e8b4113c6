/**
 * Keeps the LiteLLM proxy a mirror of the registry's active non-local models.
 *
 * Changes arrive as model.* events and are written to `models` first (so none is lost
 * while the proxy is down); a worker then applies each pending model with backoff on
 * failure. A reconcile (at start, periodically, and on demand) compares the whole proxy
 * with the desired state: adds what is missing, updates what changed, removes orphan
 * `db-*` aliases, and leaves healthy aliases alone.
 */
import {
  type Actor,
  type EventEnvelope,
  type EventOf,
  ModelCreated,
  ModelDeleted,
  ModelSynced,
  ModelSyncFailed,
  ModelUpdated,
  proxyAlias,
} from '@lumikb/contracts';
import type { Kysely, Transaction } from '@lumikb/db';
import { recordEvent } from '@lumikb/events';
import {
  allowsPrivateTargets,
  LlmError,
  OUTBOUND_TARGET_REFUSED,
  type OutboundPolicy,
  OutboundRefusedError,
} from '@lumikb/llm';
import { backoffDelay } from '@lumikb/retry';
import { InternalCallError } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProxySyncDatabase, SyncState } from '../db/database.ts';
import type { LiteLlmClient, ModelWithKey, ProxyDeployment, ProxyEntry, RegistryClient } from './clients.ts';
import { belongsInProxy, buildDeployment, type DesiredModel, entryMatches, type ProxyUrls } from './deployment.ts';
import {
  applyModelView,
  countByState,
  countBySyncState,
  desiredOf,
  dueModels,
  listModels,
  type ModelRow,
  makeAllDue,
  markDeleted,
  markGone,
  nextDueAt,
  recordFailure,
  recordSuccess,
  refreshFromRegistry,
} from './repository.ts';

export const SYNC_ACTOR: Actor = { type: 'service', id: 'proxy-sync' };

/** Models synced at the same time by the worker. */
const SYNC_CONCURRENCY = 4;

export type SyncAction = 'added' | 'updated' | 'unchanged' | 'removed' | 'absent';

export interface ReconcileReport {
  trigger: 'startup' | 'periodic' | 'manual';
  started_at: string;
  finished_at: string;
  duration_ms: number;
  proxy_url: string;
  /** Whether the registry's full list was available (without it, unknown aliases are left alone). */
  registry: 'listed' | 'unavailable';
  registry_error?: string;
  added: string[];
  updated: string[];
  removed: string[];
  unchanged: string[];
  failed: { alias: string; id: string | null; error: string }[];
  kept: { alias: string; reason: string }[];
}

export interface SyncServiceOptions {
  db: Kysely<ProxySyncDatabase>;
  litellm: LiteLlmClient | undefined;
  registry: RegistryClient | undefined;
  logger: Logger;
  urls: ProxyUrls;
  retryMinMs: number;
  retryMaxMs: number;
  reconcileIntervalMs: number;
  /** Values that must never appear in an event or a log line. */
  secrets?: (string | undefined)[];
  metrics?: Registry;
  /** Judges the endpoints handed to the proxy, which would otherwise call them for us. */
  outbound?: OutboundPolicy;
}

export class ProxyNotConfiguredError extends Error {
  override name = 'ProxyNotConfiguredError';
}

/** Replaces every known secret, and anything that looks like a bearer key, in a message. */
export function scrub(text: string, secrets: readonly (string | null | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out.replace(/\bBearer\s+\S+/gi, 'Bearer [redacted]');
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

function desiredFromView(view: ModelWithKey): DesiredModel {
  return {
    id: view.id,
    type: view.type,
    provider: view.provider,
    model_id: view.model_id,
    api_endpoint: view.api_endpoint,
    config: view.config ?? {},
    status: view.status,
    deleted: false,
    version: new Date(view.updated_at).toISOString(),
  };
}

export class SyncService {
  private chain: Promise<unknown> = Promise.resolve();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wakeRequested = false;
  private lastReport: ReconcileReport | undefined;
  private lastReconcileError: string | undefined;
  private readonly operations: Counter<'action' | 'outcome'>;
  private readonly failures: Counter;

  constructor(private readonly options: SyncServiceOptions) {
    const registers = options.metrics ? [options.metrics] : [];
    this.operations = new Counter({
      name: 'lumikb_proxy_sync_operations_total',
      help: 'Model syncs with the LiteLLM proxy by action (added, updated, unchanged, removed, absent) and outcome',
      labelNames: ['action', 'outcome'],
      registers,
    });
    this.failures = new Counter({
      name: 'lumikb_proxy_sync_failures_total',
      help: 'Failed attempts to mirror a model change into the LiteLLM proxy (retried with backoff)',
      registers,
    });
    const db = options.db;
    new Gauge({
      name: 'lumikb_proxy_sync_state',
      help: 'Models by LiteLLM sync state (pending, synced, failed, removed, not_applicable)',
      labelNames: ['state'],
      registers,
      async collect() {
        const states = await countBySyncState(db).catch(() => undefined);
        if (!states) return;
        this.reset();
        for (const [state, n] of Object.entries(states)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'lumikb_proxy_sync_pending_models',
      help: 'Models whose latest change is not yet mirrored in the LiteLLM proxy',
      registers,
      async collect() {
        const counts = await countByState(db).catch(() => undefined);
        if (counts) this.set(counts.pending);
      },
    });
  }

  get configured(): boolean {
    return this.options.litellm !== undefined;
  }

  get proxyUrl(): string | undefined {
    return this.options.litellm?.url;
  }

  private get secrets(): (string | undefined)[] {
    return this.options.secrets ?? [];
  }

  /** Writes a model.* event into the desired state (inside the consumer's applyOnce transaction). */
  async applyEvent(trx: Transaction<ProxySyncDatabase>, event: EventEnvelope): Promise<void> {
    if (event.type === ModelCreated.type || event.type === ModelUpdated.type) {
      const { model } = (event as EventOf<typeof ModelCreated>).data;
      await applyModelView(trx, model, event.occurredAt);
    } else if (event.type === ModelDeleted.type) {
      const data = (event as EventOf<typeof ModelDeleted>).data;
      await markDeleted(trx, data, event.occurredAt);
    }
  }

  /** Runs `fn` after every sync or reconcile in progress (one at a time, in order). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  start(): void {
    if (!this.options.litellm) {
      this.options.logger.warn(
        'LITELLM_PROXY_URL is not set: proxy-sync is idle (model changes are recorded, nothing is pushed to a proxy)',
      );
      return;
    }
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.chain;
  }

  /** Looks at pending models now (after an event was recorded). */
  wake(): void {
    // Remembered when the worker is busy, so a wake-up between its last look at the
    // table and its next sleep is not lost.
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** The wait before the attempt-th retry: the shared policy, stored as the row's next_attempt_at. */
  private backoff(attempt: number): number {
    return backoffDelay(attempt, {
      baseDelayMs: this.options.retryMinMs,
      maxDelayMs: this.options.retryMaxMs,
      jitter: 0.2,
    });
  }

  private async run(): Promise<void> {
    const log = this.options.logger;
    let nextReconcileAt = 0;
    let trigger: ReconcileReport['trigger'] = 'startup';
    let reconcileFailures = 0;
    while (this.running) {
      this.wakeRequested = false;
      let pauseMs = 0;
      if (Date.now() >= nextReconcileAt) {
        try {
          await this.exclusive(() => this.reconcileNow(trigger));
          if (reconcileFailures > 0) log.info('LiteLLM proxy reachable again; reconciled');
          reconcileFailures = 0;
          trigger = 'periodic';
          nextReconcileAt =
            this.options.reconcileIntervalMs > 0
              ? Date.now() + this.options.reconcileIntervalMs
              : Number.POSITIVE_INFINITY;
        } catch (error) {
          if (!this.running) break;
          reconcileFailures++;
          const retryIn = this.backoff(reconcileFailures);
          nextReconcileAt = Date.now() + retryIn;
          const message = scrub(describe(error), this.secrets);
          if (reconcileFailures === 1 || message !== this.lastReconcileError) {
            log.warn(
              { retryInMs: retryIn, attempt: reconcileFailures },
              `reconcile with the LiteLLM proxy failed: ${message}`,
            );
          }
          this.lastReconcileError = message;
        }
      }
      try {
        await this.exclusive(() => this.processDue());
      } catch (error) {
        log.error({ err: error }, 'processing pending model syncs failed');
        pauseMs = 1_000;
      }
      if (!this.running) break;
      const due = await nextDueAt(this.options.db).catch(() => undefined);
      const wakeAt = Math.min(due?.getTime() ?? Number.POSITIVE_INFINITY, nextReconcileAt);
      await this.sleep(Math.max(pauseMs, 20, Math.min(wakeAt - Date.now(), 30_000)));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.wakeRequested) {
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** Syncs every due model, a few at a time (distinct models, so they cannot conflict). */
  private async processDue(): Promise<void> {
    for (let round = 0; round < 50 && this.running; round++) {
      const rows = await dueModels(this.options.db, 32);
      if (rows.length === 0) return;
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(SYNC_CONCURRENCY, rows.length) }, async () => {
          while (this.running && next < rows.length) await this.syncModel(rows[next++] as ModelRow);
        }),
      );
    }
  }

  /** Brings one model's proxy entry in line with its desired state; records the outcome. */
  private async syncModel(row: ModelRow): Promise<void> {
    const litellm = this.options.litellm;
    if (!litellm) return;
    let desired = desiredOf(row);
    let apiKey: string | null = null;
    try {
      if (belongsInProxy(desired)) {
        const fresh = await this.credentials(row.id);
        if (!fresh) {
          await markGone(this.options.db, row.id);
          desired = { ...desired, deleted: true };
        } else {
          await refreshFromRegistry(this.options.db, fresh);
          desired = desiredFromView(fresh);
          apiKey = fresh.api_key;
        }
      }
      const action = belongsInProxy(desired)
        ? await this.register(litellm, desired, apiKey, await litellm.findById(row.id))
        : await this.unregister(litellm, row.id);
      await this.recordOutcome(row, desired, action);
    } catch (error) {
      await this.recordError(row, desired, error, [apiKey]);
    }
  }

  private async credentials(id: string): Promise<ModelWithKey | undefined> {
    const registry = this.options.registry;
    if (!registry) throw new LlmError('not_configured', 'no registry client (REGISTRY_URL / service token) configured');
    const fresh = await registry.credentials(id);
    if (fresh?.credentials_error)
      throw new Error(`the registry cannot decrypt this model's API key: ${fresh.credentials_error}`);
    return fresh;
  }

  private async register(
    litellm: LiteLlmClient,
    desired: DesiredModel,
    apiKey: string | null,
    existing: ProxyEntry | undefined,
  ): Promise<SyncAction> {
    const wanted = buildDeployment(desired, apiKey, this.options.urls);
    try {
      await this.checkEndpoint(desired, wanted);
    } catch (error) {
      // The proxy must not keep calling an endpoint we would refuse ourselves.
      if (existing && existing.model_info.db_model !== false) await litellm.remove(desired.id);
      throw error;
    }
    if (existing) {
      if (existing.model_info.db_model === false) {
        throw new Error(
          `${wanted.model_name} is defined in the proxy's config file, not its database: remove it there`,
        );
      }
      if (entryMatches(existing, wanted)) return 'unchanged';
      // PATCH merges: an explicit null clears a key that was removed in the registry.
      await litellm.update(desired.id, { ...wanted, litellm_params: { ...wanted.litellm_params, api_key: apiKey } });
      return 'updated';
    }
    if ((await litellm.add(wanted)) === 'exists') {
      await litellm.update(desired.id, { ...wanted, litellm_params: { ...wanted.litellm_params, api_key: apiKey } });
      return 'updated';
    }
    return 'added';
  }

  /**
   * The model's own endpoint, as the proxy would call it, through the outbound policy.
   * Endpoints from our config (OLLAMA_URL_FOR_PROXY …) are trusted; a name that does not
   * resolve here may resolve in the proxy's network, so only a resolved refusal counts.
   */
  private async checkEndpoint(desired: DesiredModel, wanted: ProxyDeployment): Promise<void> {
    const base = wanted.litellm_params.api_base;
    const configured = [this.options.urls.ollamaUrlForProxy, this.options.urls.lmStudioUrlForProxy];
    if (!this.options.outbound || typeof base !== 'string' || configured.includes(base)) return;
    try {
      await this.options.outbound.check(base, { allowPrivate: allowsPrivateTargets(desired.provider) });
    } catch (error) {
      if (error instanceof OutboundRefusedError && error.reason === 'unresolvable') return;
      if (error instanceof OutboundRefusedError) {
        throw new LlmError('refused', `${OUTBOUND_TARGET_REFUSED}: ${error.message}`, { reason: error.reason });
      }
      throw error;
    }
  }

  private async unregister(litellm: LiteLlmClient, id: string): Promise<SyncAction> {
    const existing = await litellm.findById(id);
    if (!existing) return 'absent';
    if (existing.model_info.db_model === false) {
      throw new Error(`${proxyAlias(id)} is defined in the proxy's config file, not its database: remove it there`);
    }
    return litellm.remove(id);
  }

  private async recordOutcome(row: ModelRow, desired: DesiredModel, action: SyncAction): Promise<void> {
    const alias = proxyAlias(row.id);
    const state: Extract<SyncState, 'synced' | 'removed' | 'not_applicable'> = belongsInProxy(desired)
      ? 'synced'
      : desired.deleted
        ? 'removed'
        : 'not_applicable';
    this.operations.inc({ action, outcome: 'success' });
    await this.options.db.transaction().execute(async (trx) => {
      const previous = await recordSuccess(trx, row.id, row.eventAt, state);
      if (previous === undefined) return; // changed meanwhile: the newer change stays pending
      if (state === 'synced' && (action !== 'unchanged' || previous !== 'synced')) {
        await recordEvent(
          trx,
          ModelSynced,
          { id: row.id, alias, synced_at: new Date().toISOString() },
          { actor: SYNC_ACTOR },
        );
      }
    });
    if (action !== 'unchanged' && action !== 'absent') {
      this.options.logger.info({ model: row.id, alias, action }, `model ${action} in the LiteLLM proxy`);
    }
  }

  private async recordError(
    row: ModelRow,
    desired: DesiredModel,
    error: unknown,
    extraSecrets: (string | null)[],
  ): Promise<string> {
    const alias = proxyAlias(row.id);
    const message = scrub(describe(error), [...this.secrets, ...extraSecrets]).slice(0, 1_000);
    // Cancelled by shutdown: not a failure; the change stays pending for the next start.
    if (!this.running && isAborted(error)) return message;
    const retryIn = this.backoff(row.attempts + 1);
    this.operations.inc({ action: belongsInProxy(desired) ? 'register' : 'remove', outcome: 'failure' });
    this.failures.inc();
    let attempts = row.attempts + 1;
    await this.options.db.transaction().execute(async (trx) => {
      const result = await recordFailure(trx, row.id, message, retryIn);
      if (!result) return;
      attempts = result.attempts;
      const notable = result.attempts === 1 || result.previousError !== message || result.attempts % 10 === 0;
      if (notable && !desired.deleted) {
        await recordEvent(
          trx,
          ModelSyncFailed,
          { id: row.id, alias, error: message, attempts: result.attempts },
          { actor: SYNC_ACTOR },
        );
      }
    });
    this.options.logger.warn(
      { model: row.id, alias, attempts, retryInMs: retryIn },
      `syncing the model with the LiteLLM proxy failed; will retry: ${message}`,
    );
    return message;
  }

  /** A full reconcile now (waits for any sync in progress). */
  async reconcile(trigger: ReconcileReport['trigger'] = 'manual'): Promise<ReconcileReport> {
    if (!this.options.litellm) throw new ProxyNotConfiguredError('LITELLM_PROXY_URL is not set: proxy-sync is idle');
    const report = await this.exclusive(() => this.reconcileNow(trigger));
    this.wake();
    return report;
  }

  private async reconcileNow(trigger: ReconcileReport['trigger']): Promise<ReconcileReport> {
    const litellm = this.options.litellm;
    if (!litellm) throw new ProxyNotConfiguredError('LITELLM_PROXY_URL is not set: proxy-sync is idle');
    const { db } = this.options;
    const started = new Date();
    const entries = await litellm.list();

    const report: ReconcileReport = {
      trigger,
      started_at: started.toISOString(),
      finished_at: '',
      duration_ms: 0,
      proxy_url: litellm.url,
      registry: 'unavailable',
      added: [],
      updated: [],
      removed: [],
      unchanged: [],
      failed: [],
      kept: [],
    };

    // The registry's list is the truth when we can get it: it also covers changes whose
    // events we missed (a fresh schema, events older than the stream keeps).
    const keys = new Map<string, ModelWithKey>();
    const listedAt = new Date();
    try {
      if (!this.options.registry) throw new Error('no registry client configured');
      const listed = await this.options.registry.list();
      for (const model of listed) {
        keys.set(model.id, model);
        await refreshFromRegistry(db, model);
      }
      for (const row of await listModels(db)) {
        if (!row.deleted && !keys.has(row.id) && row.eventAt < listedAt) await markGone(db, row.id);
      }
      report.registry = 'listed';
    } catch (error) {
      report.registry_error = scrub(describe(error), this.secrets);
      this.options.logger.warn(
        `reconcile without the registry's list (${report.registry_error}): unknown db-* aliases are left alone`,
      );
    }

    const rows = await listModels(db);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const wanted = new Set(rows.filter((r) => belongsInProxy(desiredOf(r))).map((r) => r.id));
    const own = new Map(entries.filter((e) => wanted.has(e.model_info.id)).map((e) => [e.model_info.id, e]));
    const settled = new Set<string>();

    // 1. Every model that belongs in the proxy: leave it if it matches, else add/update.
    for (const row of rows) {
      const desired = desiredOf(row);
      if (!belongsInProxy(desired)) continue;
      const alias = proxyAlias(row.id);
      const existing = own.get(row.id);
      let apiKey: string | null = null;
      try {
        if (
          existing &&
          existing.model_info.db_model !== false &&
          entryMatches(existing, buildDeployment(desired, null, this.options.urls))
        ) {
          report.unchanged.push(alias);
          settled.add(row.id);
          await this.recordOutcome(row, desired, 'unchanged');
          continue;
        }
        const fresh = keys.get(row.id) ?? (await this.credentials(row.id));
        if (!fresh) {
          await markGone(db, row.id);
          wanted.delete(row.id);
          byId.set(row.id, { ...row, deleted: true });
          continue;
        }
        if (fresh.credentials_error) {
          throw new Error(`the registry cannot decrypt this model's API key: ${fresh.credentials_error}`);
        }
        apiKey = fresh.api_key;
        const action = await this.register(litellm, desiredFromView(fresh), apiKey, existing);
        (action === 'added' ? report.added : action === 'updated' ? report.updated : report.unchanged).push(alias);
        settled.add(row.id);
        await this.recordOutcome(row, desiredFromView(fresh), action);
      } catch (error) {
        const message = await this.recordError(row, desired, error, [apiKey]);
        report.failed.push({ alias, id: row.id, error: message });
      }
    }

    // 2. db-* entries that should not be there: orphans, deactivated or deleted models,
    //    and foreign duplicates of our aliases. Never an alias we cannot vouch for.
    for (const entry of entries) {
      if (!entry.model_name.startsWith('db-')) continue;
      const aliasId = entry.model_name.slice(3);
      const entryId = entry.model_info.id;
      if (entryId === aliasId && wanted.has(aliasId)) continue;
      const row = byId.get(aliasId);
      let reason: string | undefined;
      if (entryId !== aliasId && wanted.has(aliasId)) {
        if (!settled.has(aliasId))
          reason = 'a duplicate of an alias whose own entry failed to sync: kept until it does';
      } else if (report.registry === 'listed') {
        // The registry has no active model behind this alias.
      } else if (!(row && !belongsInProxy(desiredOf(row)))) {
        reason = 'unknown to proxy-sync and the registry list is unavailable: left in place';
      }
      if (reason) {
        report.kept.push({ alias: entry.model_name, reason });
        continue;
      }
      if (entry.model_info.db_model === false) {
        report.kept.push({ alias: entry.model_name, reason: "defined in the proxy's config file: remove it there" });
        continue;
      }
      try {
        await litellm.remove(entryId);
        report.removed.push(entry.model_name);
        this.operations.inc({ action: 'removed', outcome: 'success' });
        this.options.logger.info(
          { alias: entry.model_name, id: entryId },
          'orphan alias removed from the LiteLLM proxy',
        );
      } catch (error) {
        const message = scrub(describe(error), this.secrets);
        report.failed.push({ alias: entry.model_name, id: row ? row.id : null, error: message });
        if (row && entryId === aliasId) await this.recordError(row, desiredOf(row), error, []);
      }
    }

    // 3. Models that must not be in the proxy and are not (any more): settle them.
    const remaining = new Set(entries.map((e) => e.model_name));
    for (const name of report.removed) remaining.delete(name);
    for (const row of await listModels(db)) {
      if (belongsInProxy(desiredOf(row)) || !row.pending) continue;
      if (remaining.has(proxyAlias(row.id))) continue;
      await this.recordOutcome(row, desiredOf(row), 'absent');
    }

    const finished = new Date();
    report.finished_at = finished.toISOString();
    report.duration_ms = finished.getTime() - started.getTime();
    this.lastReport = report;
    this.lastReconcileError = undefined;
    const changed = report.added.length + report.updated.length + report.removed.length;
    this.options.logger.info(
      {
        trigger,
        added: report.added.length,
        updated: report.updated.length,
        removed: report.removed.length,
        unchanged: report.unchanged.length,
        failed: report.failed.length,
        kept: report.kept.length,
      },
      changed > 0 || report.failed.length > 0 ? 'reconciled the LiteLLM proxy' : 'LiteLLM proxy already in sync',
    );
    return report;
  }

  /** Makes every pending model due now and wakes the worker (e.g. the proxy is back). */
  async retryNow(): Promise<void> {
    await makeAllDue(this.options.db);
    this.wake();
  }

  /** For /ready: throws while the proxy does not answer (the check is non-critical). */
  async readiness(): Promise<Record<string, unknown>> {
    if (!this.options.litellm) {
      return { idle: true, message: 'LITELLM_PROXY_URL is not set: proxy-sync is idle, no model is mirrored' };
    }
    const counts = await countByState(this.options.db).catch(() => ({ pending: -1, failed: -1 }));
    try {
      await this.options.litellm.alive();
    } catch (error) {
      throw new Error(
        `LiteLLM proxy at ${this.options.litellm.url} is unreachable (${describe(error)}); ${counts.pending} model change(s) waiting, retried with backoff`,
      );
    }
    return { url: this.options.litellm.url, pending: counts.pending, failed: counts.failed };
  }

  async status() {
    const rows = await listModels(this.options.db);
    const counts = await countByState(this.options.db);
    return {
      configured: this.configured,
      proxy_url: this.proxyUrl ?? null,
      pending: counts.pending,
      failed: counts.failed,
      last_reconcile: this.lastReport ?? null,
      last_reconcile_error: this.lastReconcileError ?? null,
      models: rows.map((r) => ({
        id: r.id,
        alias: proxyAlias(r.id),
        provider: r.provider,
        type: r.type,
        status: r.status,
        deleted: r.deleted,
        sync_state: r.syncState,
        pending: r.pending,
        attempts: r.attempts,
        last_error: r.lastError,
        synced_at: r.syncedAt ? r.syncedAt.toISOString() : null,
        next_attempt_at: r.pending ? r.nextAttemptAt.toISOString() : null,
      })),
    };
  }
}

/** A call cancelled by our own shutdown, to the proxy (LlmError) or the registry (InternalCallError). */
function isAborted(error: unknown): boolean {
  return (
    (error instanceof LlmError && error.kind === 'aborted') ||
    (error instanceof InternalCallError && error.code === 'UPSTREAM_ABORTED')
  );
}
