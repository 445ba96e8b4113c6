/**
 * The live settings of a service, wired once: a subscriber of config.updated that `/ready`
 * checks and that stops with the app, unless a test gave a fixed source instead.
 */

import type { EventBus } from '@lumikb/events';
import type { ServiceWiring } from '@lumikb/service-kit';
import { SettingsSubscriber } from './subscriber.ts';
import type { SettingsSource } from './upload-limit.ts';

export async function liveSettingsFor(
  wiring: ServiceWiring<unknown, { bus: EventBus; settings?: SettingsSource | undefined }>,
): Promise<SettingsSource> {
  if (wiring.deps.settings) return wiring.deps.settings;
  const subscriber = await SettingsSubscriber.start({
    bus: wiring.deps.bus,
    logger: wiring.logger.child({ component: 'settings' }),
  });
  wiring.addReadiness(subscriber.readiness());
  wiring.app.addHook('onClose', () => subscriber.stop());
  return subscriber;
}
