/** `/health` says the process is alive; `/ready` checks each dependency with a timeout. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
  timeoutMs?: number;
  /** A failing non-critical check reports `degraded` but keeps the service ready. */
  critical?: boolean;
}

export interface CheckResult {
  status: 'up' | 'down';
  latencyMs: number;
  critical: boolean;
  error?: string;
  detail?: unknown;
}

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  const started = performance.now();
  const critical = check.critical !== false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${check.timeoutMs ?? 2_000} ms`)),
          check.timeoutMs ?? 2_000,
        );
      }),
    ]);
    return {
      status: 'up',
      latencyMs: round(performance.now() - started),
      critical,
      ...(detail !== undefined ? { detail } : {}),
    };
  } catch (error) {
    return {
      status: 'down',
      latencyMs: round(performance.now() - started),
      critical,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

const CheckSchema = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latencyMs: Type.Number(),
  critical: Type.Boolean(),
  error: Type.Optional(Type.String()),
  detail: Type.Optional(Type.Unknown()),
});
const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('not_ready')]),
  service: Type.String(),
  checks: Type.Record(Type.String(), CheckSchema),
});

export function installProbes(
  app: FastifyInstance,
  options: { service: string; version: string; checks: () => ReadinessCheck[] },
): void {
  const startedAt = Date.now();
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['probes'],
        summary: 'The process is alive',
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            service: Type.String(),
            version: Type.String(),
            uptimeSeconds: Type.Number(),
          }),
        },
      },
    },
    async () => ({
      status: 'ok' as const,
      service: options.service,
      version: options.version,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    }),
  );
  app.get(
    '/ready',
    {
      config: { access: 'public' },
      schema: {
        tags: ['probes'],
        summary: 'Every dependency answers (503 naming the failing ones otherwise)',
        response: { 200: ReadySchema, 503: ReadySchema },
      },
    },
    async (_request, reply) => {
      const checks = options.checks();
      const results = await Promise.all(checks.map(runCheck));
      const byName = Object.fromEntries(checks.map((c, i) => [c.name, results[i]!]));
      const criticalDown = results.some((r) => r.status === 'down' && r.critical);
      const anyDown = results.some((r) => r.status === 'down');
      const status = criticalDown ? 'not_ready' : anyDown ? 'degraded' : 'ready';
      return reply.status(criticalDown ? 503 : 200).send({ status, service: options.service, checks: byName });
    },
  );
}
