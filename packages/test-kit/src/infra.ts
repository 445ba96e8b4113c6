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
    const started = await startContainers(!envDb, !envNats);
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

/** Reused containers: every test process of a run shares the same two. */
async function startContainers(postgres: boolean, nats: boolean) {
  const { GenericContainer, Wait } = await import('testcontainers');
  const result: { postgresUrl?: string; natsUrl?: string } = {};
  if (postgres) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const pg = await new PostgreSqlContainer('postgres:15-alpine')
      .withUsername('postgres')
      .withPassword('postgres')
      .withDatabase('postgres')
      .withReuse()
      .start();
    result.postgresUrl = pg.getConnectionUri();
  }
  if (nats) {
    const container = await new GenericContainer('nats:2.10-alpine')
      .withCommand(['-js', '-sd', '/data'])
      .withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
      .withReuse()
      .start();
    result.natsUrl = `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
  }
  return result;
}

/** The same URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
