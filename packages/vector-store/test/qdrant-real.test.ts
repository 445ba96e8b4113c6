// The conformance suite against a real Qdrant: QDRANT_URL (with QDRANT_API_KEY) when set,
// otherwise a qdrant/qdrant container when a Docker engine answers, otherwise skipped
// with the reason in the test output.
import { existsSync } from 'node:fs';
import t, { type Test } from 'tap';
import { createVectorStore } from '../src/index.ts';
import { vectorStoreConformance } from './conformance.ts';

const IMAGE = process.env.QDRANT_IMAGE ?? 'qdrant/qdrant:v1.19.0';

async function dockerAnswers(): Promise<boolean> {
  if (process.env.LUMIKB_TEST_NO_DOCKER === '1') return false;
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function realQdrant(t: Test): Promise<{ url: string; apiKey?: string } | undefined> {
  if (process.env.QDRANT_URL) {
    return { url: process.env.QDRANT_URL, ...(process.env.QDRANT_API_KEY && { apiKey: process.env.QDRANT_API_KEY }) };
  }
  if (!(await dockerAnswers())) return undefined;
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(IMAGE)
    .withExposedPorts(6333)
    .withWaitStrategy(Wait.forHttp('/readyz', 6333))
    .start();
  t.teardown(() => container.stop());
  return { url: `http://${container.getHost()}:${container.getMappedPort(6333)}` };
}

const target = await realQdrant(t);
if (!target) {
  t.test(
    'qdrant adapter conformance against a real Qdrant',
    { skip: 'no real Qdrant: QDRANT_URL is unset and no Docker engine answers' },
    () => {},
  );
} else {
  t.comment(`real Qdrant at ${target.url}`);
  t.test('qdrant adapter conformance against a real Qdrant', async (t) => {
    vectorStoreConformance(t, async () =>
      createVectorStore({ qdrantUrl: target.url, ...(target.apiKey && { qdrantApiKey: target.apiKey }) }),
    );
  });
}
