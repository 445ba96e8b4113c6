/**
 * The platform settings this service obeys (upload limit, generation defaults). They are
 * hot-reloaded from `config.updated`; until the first snapshot arrives the defaults (and
 * MAX_UPLOAD_BYTES) apply.
 */
import { DEFAULT_SETTINGS_SNAPSHOT, type SettingsSnapshot } from '@lumikb/contracts';

export interface SettingsSource {
  current(): SettingsSnapshot;
}

export function staticSettings(snapshot: SettingsSnapshot = DEFAULT_SETTINGS_SNAPSHOT): SettingsSource {
  return { current: () => snapshot };
}

/** Upload limit in bytes: the hot-reloaded setting once known, the env default before. */
export function maxUploadBytes(settings: SettingsSource, fallback: number): number {
  const snapshot = settings.current();
  return snapshot.version > 0 ? snapshot.system.max_upload_size_mb * 1024 * 1024 : fallback;
}
