/** Builds the gateway against fake upstreams for one test. */
import { type FakeServer, startFakeServer, type Teardown, testKeys, testLogger } from '@lumikb/test-kit';
import { buildApp } from '../src/app.ts';
import { readConfig } from '../src/config.ts';

/** An upstream that echoes what reached it, so tests see what the gateway forwarded. */
export async function echoUpstream(t: Teardown, name: string): Promise<FakeServer> {
  return startFakeServer(t, (req, res) => {
    if (req.url === '/docs/json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          openapi: '3.0.3',
          info: { title: name, version: '1' },
          paths: {
            [`/api/v1/auth/from-${name}`]: { get: {} },
            '/internal/secret': { get: {} },
            '/health': { get: {} },
          },
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'upstream=1; HttpOnly' });
    res.end(
      JSON.stringify({
        upstream: name,
        method: req.method,
        url: req.url,
        requestId: req.headers['x-request-id'],
        forwardedFor: req.headers['x-forwarded-for'] ?? null,
        realIp: req.headers['x-real-ip'] ?? null,
        cookie: req.headers.cookie ?? null,
        body: req.body,
      }),
    );
  });
}

export async function buildTestApp(t: Teardown, env: Record<string, string> = {}) {
  const upstreams = {
    auth: await echoUpstream(t, 'auth'),
    registry: await echoUpstream(t, 'registry'),
    kb: await echoUpstream(t, 'knowledge-base'),
    proxySync: await echoUpstream(t, 'proxy-sync'),
  };
  const keys = testKeys();
  const config = readConfig({
    JWT_PUBLIC_KEY: keys.publicKey,
    LOG_LEVEL: 'silent',
    AUTH_URL: upstreams.auth.url,
    REGISTRY_URL: upstreams.registry.url,
    KB_URL: upstreams.kb.url,
    PROXY_SYNC_URL: upstreams.proxySync.url,
    ...env,
  });
  const app = await buildApp(config, { logger: testLogger('gateway') });
  t.teardown(() => app.close());
  await app.ready();
  return { app, config, keys, upstreams };
}
