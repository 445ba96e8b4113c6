/**
 * The Fastify app every LumiKB service is built on: JSON logs with request ids,
 * TypeBox validation, OpenAPI, one error shape, probes, metrics and route guards.
 */
import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';
import { type AuthOptions, installAuth } from './auth.ts';
import { allowSwaggerLogoStyle } from './docs-csp.ts';
import { installErrorHandlers, type NotFoundFallback } from './error-handler.ts';
import { installJsonBodyParser } from './json-body.ts';
import { installMetrics, type PoolLike, Registry } from './metrics.ts';
import { installProbes, type ReadinessCheck } from './readiness.ts';
import { sharedSchemaCompilers } from './schema-compilers.ts';

export type ServiceApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ServiceAppOptions {
  service: string;
  version?: string;
  description?: string;
  logLevel?: string;
  /** An existing pino logger (tests pass a silent one). */
  logger?: Logger;
  auth: AuthOptions;
  readiness?: () => ReadinessCheck[];
  pools?: PoolLike[];
  bodyLimit?: number;
  /**
   * Parse JSON bodies with the kit's depth-checked parser (default). The gateway passes
   * false: it streams bodies to the services, which parse them.
   */
  parseJsonBodies?: boolean;
  /**
   * Addresses whose X-Forwarded-* headers are believed (TRUSTED_PROXIES, see
   * trustedProxies()). Off by default: a client's own header is never its address.
   */
  trustProxy?: false | string;
  /** Rewrites the OpenAPI document served at /docs/json (the gateway merges its upstreams'). */
  transformOpenApi?: (spec: Record<string, unknown>) => Record<string, unknown>;
  /** Handles requests no route matched before the 404 error (the gateway's SPA fallback). */
  notFoundFallback?: NotFoundFallback;
}

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
    serviceName: string;
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics']);

export const LOG_REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.refreshToken',
];

export async function createServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const app: FastifyInstance = Fastify({
    ...(options.logger
      ? { loggerInstance: options.logger as FastifyBaseLogger }
      : {
          logger: {
            level: options.logLevel ?? 'info',
            base: { service: options.service },
            redact: { paths: LOG_REDACT, censor: '[redacted]' },
            timestamp: () => `,"time":"${new Date().toISOString()}"`,
          },
        }),
    // Fastify's 10 s default is too short on a loaded 2-core machine starting six services
    // in containers at once (@fastify/swagger-ui did not start in time); a plugin that
    // really hangs still fails the start, a minute later.
    pluginTimeout: 60_000,
    // genReqId reads x-request-id itself so an unsafe value is replaced, not trusted.
    requestIdHeader: false,
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      // Probes and scrapes arrive every few seconds; logging them buries real traffic.
      disableRequestLogging: (request) => QUIET_ROUTES.has(request.url.split('?')[0] ?? ''),
    }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
    // One compiled validator and serializer per route schema per process (schema-compilers.ts).
    schemaController: sharedSchemaCompilers,
    return503OnClosing: true,
  });

  app.decorate('serviceName', options.service);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  installErrorHandlers(app, options.notFoundFallback);
  if (options.parseJsonBodies !== false) installJsonBodyParser(app);
  await installAuth(app, options.auth);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: `LumiKB ${options.service}`,
        version: options.version ?? '0.1.0',
        description: options.description ?? `The ${options.service} service of LumiKB.`,
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'lumikb_access' },
        },
      },
    },
  });
  const transform = options.transformOpenApi;
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    // Where a Content Security Policy is set (the gateway), /docs may apply its logo's style.
    transformStaticCSP: allowSwaggerLogoStyle,
    ...(transform ? { transformSpecification: (spec: Record<string, unknown>) => transform(spec) } : {}),
  });

  const registry = new Registry();
  app.decorate('metricsRegistry', registry);
  await installMetrics(app, { service: options.service, registry, pools: options.pools ?? [] });
  installProbes(app, {
    service: options.service,
    version: options.version ?? '0.1.0',
    checks: options.readiness ?? (() => []),
  });
  return app.withTypeProvider<TypeBoxTypeProvider>();
}
