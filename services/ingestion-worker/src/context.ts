/** What the worker's own code needs: its config, the bus, what processJob needs, who it is. */
import type { EventBus } from '@lumikb/events';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config.ts';
import type { ProcessorDeps } from './jobs/processor.ts';

export interface WorkerContext {
  config: Config;
  bus: EventBus;
  logger: Logger;
  registry: Registry;
  /** Everything processJob needs, assembled once per app. */
  processor: ProcessorDeps;
  /** The name shown in queue monitoring, and since when it runs. */
  workerId: string;
  startedAt: string;
}
