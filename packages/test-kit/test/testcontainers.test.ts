/**
 * The test kit's container branch for real: Postgres and NATS (JetStream) started by
 * testcontainers on whatever Docker-compatible engine DOCKER_HOST names — on our machines,
 * podman's Docker API from `pnpm containers:prepare`, with the local images
 * (LUMIKB_TEST_POSTGRES_IMAGE / LUMIKB_TEST_NATS_IMAGE). Skipped, saying why, when no engine
 * answers (the kit then uses DATABASE_URL/NATS_URL or the local servers, checked below) —
 * unless LUMIKB_TESTCONTAINERS_REQUIRED=1 (.ci/run's container stage): then no engine fails.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import pg from 'pg';
import t from 'tap';
import { startInfraContainers, testContainerImages } from '../src/infra.ts';

async function engineAnswers(): Promise<boolean> {
  if (!process.env.DOCKER_HOST) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

const engine = await engineAnswers();
const required = process.env.LUMIKB_TESTCONTAINERS_REQUIRED === '1';

if (!engine && required)
  t.fail(
    'no container engine answers at DOCKER_HOST, and LUMIKB_TESTCONTAINERS_REQUIRED=1: run pnpm containers:prepare',
  );

t.test(
  'Postgres and NATS from testcontainers answer queries and JetStream',
  { skip: engine ? false : 'no container engine answers (DOCKER_HOST unset or down): run pnpm containers:prepare' },
  async (t) => {
    const started = await startInfraContainers(true, true);
    t.teardown(() => started.stop());

    const client = new pg.Client({ connectionString: started.postgresUrl });
    await client.connect();
    t.teardown(() => client.end());
    await client.query('CREATE TABLE probe (n int)');
    await client.query('INSERT INTO probe VALUES (41), (1)');
    const { rows } = await client.query<{ total: number }>('SELECT sum(n)::int AS total FROM probe');
    t.equal(rows[0]?.total, 42, 'the container database stores and sums rows');
    t.notMatch(started.postgresUrl, /127\.0\.0\.1:5432\//, 'not the machine-local Postgres');

    const nc = await connect({ servers: started.natsUrl });
    t.teardown(() => nc.close());
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'PROBE', subjects: ['probe.>'] });
    const ack = await nc.jetstream().publish('probe.one', new TextEncoder().encode('hello'));
    t.equal(ack.stream, 'PROBE', 'JetStream in the container stores the message');
    const msg = await jsm.streams.getMessage('PROBE', { seq: ack.seq });
    t.equal(new TextDecoder().decode(msg.data), 'hello');
  },
);

t.test('image names come from the environment, official names otherwise', async (t) => {
  const saved = { pg: process.env.LUMIKB_TEST_POSTGRES_IMAGE, nats: process.env.LUMIKB_TEST_NATS_IMAGE };
  t.teardown(() => {
    for (const [k, v] of [
      ['LUMIKB_TEST_POSTGRES_IMAGE', saved.pg],
      ['LUMIKB_TEST_NATS_IMAGE', saved.nats],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  delete process.env.LUMIKB_TEST_POSTGRES_IMAGE;
  delete process.env.LUMIKB_TEST_NATS_IMAGE;
  t.same(testContainerImages(), { postgres: 'postgres:15-alpine', nats: 'nats:2.10-alpine' });
  process.env.LUMIKB_TEST_POSTGRES_IMAGE = 'localhost/postgres:15-bookworm';
  t.equal(testContainerImages().postgres, 'localhost/postgres:15-bookworm');
});

/** testInfra() of a fresh process with the given environment (it resolves once per process). */
function infraIn(env: Record<string, string | undefined>): { source: string; postgresUrl: string; natsUrl: string } {
  const code = `import { testInfra } from ${JSON.stringify(fileURLToPath(new URL('../src/infra.ts', import.meta.url)))};
    process.stdout.write(JSON.stringify(await testInfra()));`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    env: childEnv,
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

t.test('DATABASE_URL and NATS_URL win over an engine; no engine means the local servers', async (t) => {
  const given = infraIn({
    DATABASE_URL: 'postgres://someone@db.example:5432/x',
    NATS_URL: 'nats://bus.example:4222',
  });
  t.same(given, {
    postgresUrl: 'postgres://someone@db.example:5432/x',
    natsUrl: 'nats://bus.example:4222',
    source: 'env',
  });

  const none = infraIn({
    DATABASE_URL: undefined,
    NATS_URL: undefined,
    DOCKER_HOST: 'unix:///nonexistent/lumikb-no-engine.sock',
  });
  t.same(none, {
    postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
    natsUrl: 'nats://127.0.0.1:4222',
    source: 'local',
  });
});
