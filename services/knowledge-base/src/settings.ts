/**
 * The platform settings this service obeys (upload limit, generation defaults),
 * hot-reloaded from `config.updated` by @lumikb/settings' subscriber. Until a published
 * snapshot arrives the defaults apply, with MAX_UPLOAD_BYTES as the upload limit.
 */
import { DEFAULT_SETTINGS_SNAPSHOT, type SettingsSnapshot } from '@lumikb/contracts';

/** What a SettingsSubscriber offers (a fixed snapshot in tests). */
export interface SettingsSource {
  readonly snapshot: SettingsSnapshot;
}

export function staticSettings(snapshot: SettingsSnapshot = DEFAULT_SETTINGS_SNAPSHOT): SettingsSource {
  return { snapshot };
}

/** Upload limit in bytes: the hot-reloaded setting once known, the env default before. */
export function maxUploadBytes(settings: SettingsSource, fallback: number): number {
  const { snapshot } = settings;
  return snapshot.version > 0 ? snapshot.system.max_upload_size_mb * 1024 * 1024 : fallback;
}
