/**
 * What every request passes at the gateway before it is proxied or served: compression,
 * security headers, the CSRF origin check, the shared rate limits and the body limit.
 */
import compress from '@fastify/compress';
import helmet from '@fastify/helmet';
import type { ServiceApp } from '@lumikb/service-kit';
import { installBodyLimit } from './body-limit.ts';
import type { GatewayContext } from './context.ts';
import { installOriginCheck } from './csrf.ts';
import { installRateLimiter } from './rate-limit/limiter.ts';

/** Text worth compressing; images, archives and uploads' bytes are sent as they are. */
const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|manifest\+json)|[^;]*\+(json|xml)|image\/svg)/i;

export async function registerProtections(app: ServiceApp, ctx: GatewayContext): Promise<void> {
  // br or gzip, as the browser offers, for the SPA's files and JSON (proxied answers too).
  // Server-sent events stay uncompressed, so each token reaches the browser when written.
  await app.register(compress, {
    global: true,
    encodings: ['br', 'gzip'],
    threshold: 1024,
    customTypes: (type: string) => !/event-stream/i.test(type) && COMPRESSIBLE.test(type),
  });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // No inline script or <style>: the built SPA, the placeholder page and Swagger UI
        // load files (React's style={...} props go through the DOM, which CSP does not
        // block). /docs adds one hash for Swagger's logo stylesheet. See docs/security.md.
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
      },
    },
  });
  installOriginCheck(
    app,
    ctx.config.PUBLIC_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  );
  installRateLimiter(app, { db: ctx.db, limits: () => ctx.settings.snapshot.system.rate_limits });
  installBodyLimit(app, ctx.config.MAX_BODY_BYTES);
}
