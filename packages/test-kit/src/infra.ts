/**
 * Where tests find Postgres and NATS: DATABASE_URL / NATS_URL when set; otherwise
 * containers started by testcontainers when a Docker engine answers; otherwise the
 * services running locally on 127.0.0.1 (our development and CI machines).
 */
import { existsSync } from 'node:fs';

export interface TestInfra {
  /** A URL on which we may create and drop databases (the path names any database). */
  postgresUrl: string;
  natsUrl: string;
  source: 'env' | 'testcontainers' | 'local';
}

let resolved: Promise<TestInfra> | undefined;

export function testInfra(): Promise<TestInfra> {
  resolved ??= resolveInfra();
  return resolved;
}

async function resolveInfra(): Promise<TestInfra> {
  const envDb = process.env.DATABASE_URL;
  const envNats = process.env.NATS_URL;
  if (envDb && envNats) return { postgresUrl: envDb, natsUrl: envNats, source: 'env' };

  if (await dockerAnswers()) {
    const started = await startInfraContainers(!envDb, !envNats);
    return {
      postgresUrl: envDb ?? started.postgresUrl!,
      natsUrl: envNats ?? started.natsUrl!,
      source: 'testcontainers',
    };
  }
  return {
    postgresUrl: envDb ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    natsUrl: envNats ?? 'nats://127.0.0.1:4222',
    source: envDb || envNats ? 'env' : 'local',
  };
}

async function dockerAnswers(): Promise<boolean> {
  if (process.env.LUMIKB_TEST_NO_DOCKER === '1') return false;
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    // "Could not find a working container runtime strategy": a docker client without an engine.
    return false;
  }
}

/**
 * Images of the test containers: the official ones by default; machines without a
 * registry point these at local builds (scripts/containers/prepare.sh makes
 * localhost/postgres:15-bookworm and localhost/nats:2.9-bookworm).
 */
export const testContainerImages = () => ({
  postgres: process.env.LUMIKB_TEST_POSTGRES_IMAGE || 'postgres:15-alpine',
  nats: process.env.LUMIKB_TEST_NATS_IMAGE || 'nats:2.10-alpine',
});

/**
 * Postgres and/or NATS in containers (reused within a run when TESTCONTAINERS_REUSE_ENABLE
 * is set). Waits on the ports and a first query, not on a container HEALTHCHECK: podman
 * without systemd never runs those (docs/operations.md#containers-with-docker-or-podman).
 */
export async function startInfraContainers(postgres: boolean, nats: boolean) {
  const { GenericContainer, Wait } = await import('testcontainers');
  const images = testContainerImages();
  const result: { postgresUrl?: string; natsUrl?: string; stop(): Promise<void> } = {
    stop: async () => {},
  };
  const stops: (() => Promise<unknown>)[] = [];
  result.stop = async () => {
    await Promise.all(stops.map((s) => s()));
  };
  if (postgres) {
    const pg = await new GenericContainer(images.postgres)
      .withEnvironment({ POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: 'postgres', POSTGRES_DB: 'postgres' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forListeningPorts())
      .withStartupTimeout(120_000)
      .withReuse()
      .start();
    stops.push(() => pg.stop());
    const url = `postgres://postgres:postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/postgres`; // secret-scan: allow (throw-away test container's password, set above)
    result.postgresUrl = url;
    await untilPostgresAnswers(result.postgresUrl);
  }
  if (nats) {
    const container = await new GenericContainer(images.nats)
      .withCommand(['-js', '-sd', '/tmp/nats'])
      .withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
      .withStartupTimeout(60_000)
      .withReuse()
      .start();
    stops.push(() => container.stop());
    result.natsUrl = `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
  }
  return result;
}

/** The official image's entrypoint restarts the server after initdb: the port can open before it is ready. */
async function untilPostgresAnswers(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** The same URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
