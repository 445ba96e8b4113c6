/**
 * Publishes platform settings as the registry does (a complete `config.updated`
 * snapshot), so a test changes a setting the way an admin would and watches a running
 * service obey it without a restart.
 */
import { randomUUID } from 'node:crypto';
import { ConfigUpdated, DEFAULT_SETTINGS_SNAPSHOT, SYSTEM_ACTOR, type SystemSettings } from '@lumikb/contracts';
import type { EventBus } from '@lumikb/events';
import { waitFor } from './wait.ts';

export interface SystemSettingsChange {
  session_timeout_minutes?: number;
  max_upload_size_mb?: number;
  rate_limits?: Partial<SystemSettings['rate_limits']>;
}

export async function publishSystemSettings(bus: EventBus, version: number, change: SystemSettingsChange) {
  const defaults = DEFAULT_SETTINGS_SNAPSHOT.system;
  const system: SystemSettings = {
    ...defaults,
    ...change,
    rate_limits: { ...defaults.rate_limits, ...change.rate_limits },
  };
  const id = randomUUID();
  const data = {
    ...DEFAULT_SETTINGS_SNAPSHOT,
    version,
    updated_at: new Date().toISOString(),
    system,
    reason: 'changed',
    scope: 'system',
    changed_fields: Object.keys(change).map((k) => `system.${k}`),
  };
  const envelope = { id, type: ConfigUpdated.type, occurredAt: new Date().toISOString(), actor: SYSTEM_ACTOR, data };
  await bus.publish(ConfigUpdated.type, Buffer.from(JSON.stringify(envelope)), id);
}

interface Injectable {
  inject(options: { method: 'GET'; url: string }): PromiseLike<{ json(): unknown }>;
}

/** Waits until a running service reports (on /ready) that it holds settings of `version`. */
export async function waitForSettingsVersion(app: Injectable, version: number): Promise<void> {
  await waitFor(
    async () => {
      const ready = (await app.inject({ method: 'GET', url: '/ready' })).json() as {
        checks?: { settings?: { detail?: { version?: number } } };
      };
      return (ready.checks?.settings?.detail?.version ?? 0) >= version ? true : undefined;
    },
    { what: `settings version ${version} applied` },
  );
}
