/**
 * The gateway: serves the SPA, proxies /api/v1/* to the owning service by prefix,
 * merges their OpenAPI at /docs, rate-limits and sets security headers. It owns no
 * data; each upstream enforces access to its own routes.
 */
import { STREAMS } from '@lumikb/contracts';
import { defineService, type PlatformDeps } from '@lumikb/service-kit';
import { liveSettingsFor, type SettingsSource } from '@lumikb/settings';
import type { Logger } from 'pino';
import { type Config, readConfig } from './config.ts';
import type { GatewayContext } from './context.ts';
import { type GatewayDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { MergedOpenApi } from './openapi.ts';
import { registerProtections } from './protections.ts';
import { registerApiProxies, upstreamReadiness, upstreamUrls } from './proxy.ts';
import { installSpa, spaFallback, spaRoot } from './static.ts';

export interface Deps extends PlatformDeps<GatewayDatabase> {
  logger?: Logger;
  /** Defaults to a subscriber of config.updated (the Config page's rate limits, live). */
  settings?: SettingsSource;
}

export const service = defineService<Config, GatewayDatabase, Deps, GatewayContext>({
  name: 'gateway',
  description: 'Public entry point: the web app and the /api/v1 routes of every service.',
  // Postgres holds the rate-limit counters every replica shares; NATS brings the live settings.
  schema: SCHEMA,
  migrations,
  streams: [STREAMS.CONFIG],
  readConfig,
  // Uploads are streamed through to the knowledge-base service, which enforces its limit.
  bodyLimit: 1024 * 1024 * 1024,
  edge: {
    openApi: (ctx, spec) => ctx.openApi.merge(spec),
    notFound: (ctx) => ctx.spa.fallback,
  },
  context: async (wiring) => {
    const { app, config, deps } = wiring;
    const upstreams = upstreamUrls(config);
    for (const check of upstreamReadiness(upstreams)) wiring.addReadiness(check);
    const root = spaRoot(config.WEB_DIST);
    return {
      config,
      db: deps.db.db,
      settings: await liveSettingsFor(wiring),
      upstreams,
      openApi: new MergedOpenApi(upstreams, app.log),
      spa: { root, fallback: spaFallback(root) },
    };
  },
  routes: [registerProtections, registerApiProxies, (app, ctx) => installSpa(app, ctx.spa.root)],
  background: [(ctx) => ({ start: () => ctx.openApi.start(), stop: () => ctx.openApi.stop() })],
});

export const { connect, buildApp } = service;
export const SERVICE = service.name;
