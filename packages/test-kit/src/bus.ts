/** A NATS bus per test file: its own subject and stream prefix, deleted at teardown. */
import { randomBytes } from 'node:crypto';
import type { StreamDefinition } from '@lumikb/contracts';
import { EventBus } from '@lumikb/events';
import type { Teardown } from './database.ts';
import { testInfra } from './infra.ts';

export interface TestBus {
  bus: EventBus;
  natsUrl: string;
  prefix: string;
}

export function testPrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export async function createTestBus(
  t: Teardown | undefined,
  options: { name?: string; prefix?: string; streams?: readonly StreamDefinition[] } = {},
): Promise<TestBus> {
  const { natsUrl } = await testInfra();
  const prefix = options.prefix ?? testPrefix();
  const bus = await EventBus.connect({ url: natsUrl, name: options.name ?? 'test', prefix });
  if (options.streams) await bus.ensureStreams(options.streams);
  t?.teardown(async () => {
    await bus.deletePrefixedStreams().catch(() => {});
    await bus.close();
  });
  return { bus, natsUrl, prefix };
}
