/** What the gateway's own code needs: its config, the rate-limit counters, live settings, upstreams, the SPA. */
import type { Kysely } from '@lumikb/db';
import type { NotFoundFallback } from '@lumikb/service-kit';
import type { SettingsSource } from '@lumikb/settings';
import type { Config } from './config.ts';
import type { GatewayDatabase } from './db/database.ts';
import type { MergedOpenApi } from './openapi.ts';
import type { Upstream } from './routes-table.ts';

export interface GatewayContext {
  config: Config;
  db: Kysely<GatewayDatabase>;
  /** The Config page's rate limits, live. */
  settings: SettingsSource;
  upstreams: Record<Upstream, string>;
  /** /docs: the upstreams' public paths merged into the gateway's document. */
  openApi: MergedOpenApi;
  /** The built SPA's folder (or the placeholder page) and the index.html answer for its routes. */
  spa: { root: string; fallback: NotFoundFallback };
}
