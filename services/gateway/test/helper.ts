/** Builds the gateway against fake upstreams for one test. */
import { DEFAULT_SETTINGS_SNAPSHOT, type RateLimits } from '@lumikb/contracts';
import { buildTestService } from '@lumikb/service-kit/testing';
import type { SettingsSource } from '@lumikb/settings';
import { type FakeServer, startFakeServer, type Teardown } from '@lumikb/test-kit';
import { service } from '../src/app.ts';

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

/**
 * The gateway on its own database and NATS prefix, in front of echoing upstreams.
 * `settings` replaces the live subscriber (tests of the subscriber publish instead).
 */
export async function buildTestApp(
  t: Teardown,
  env: Record<string, string> = {},
  options: { settings?: SettingsSource } = {},
) {
  const upstreams = {
    auth: await echoUpstream(t, 'auth'),
    registry: await echoUpstream(t, 'registry'),
    kb: await echoUpstream(t, 'knowledge-base'),
    proxySync: await echoUpstream(t, 'proxy-sync'),
  };
  const built = await buildTestService(t, service, {
    env: {
      AUTH_URL: upstreams.auth.url,
      REGISTRY_URL: upstreams.registry.url,
      KB_URL: upstreams.kb.url,
      PROXY_SYNC_URL: upstreams.proxySync.url,
      ...env,
    },
    deps: options.settings ? { settings: options.settings } : {},
  });
  return { ...built, upstreams };
}

/** Settings with the given rate limits, fixed for the test (no subscriber). */
export function fixedLimits(limits: Partial<RateLimits>): SettingsSource {
  const base = DEFAULT_SETTINGS_SNAPSHOT;
  return {
    snapshot: { ...base, system: { ...base.system, rate_limits: { ...base.system.rate_limits, ...limits } } },
  };
}
