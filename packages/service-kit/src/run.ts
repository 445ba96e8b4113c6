/** Process lifecycle for a service: listen, then shut down gracefully on a signal. */
import type { FastifyInstance } from 'fastify';
import { ConfigError } from './config.ts';

export interface RunOptions {
  service: string;
  port: number;
  host: string;
  shutdownTimeoutMs: number;
}

/**
 * Builds and starts the service. Configuration and dependency failures exit with a
 * clear message (status 1) instead of a half-started process.
 */
export async function runService(build: () => Promise<{ app: FastifyInstance; options: RunOptions }>): Promise<void> {
  let built: { app: FastifyInstance; options: RunOptions };
  try {
    built = await build();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  }
  const { app, options } = built;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: no new requests, finishing in-flight work');
    const timer = setTimeout(() => {
      app.log.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, options.shutdownTimeoutMs);
    timer.unref();
    try {
      await app.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (error) {
    app.log.error({ err: error }, `cannot listen on ${options.host}:${options.port}`);
    await app.close().catch(() => {});
    process.exit(1);
  }
}
