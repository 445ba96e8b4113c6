/**
 * Runs the OpenAPI fuzz against one built service: seeds real ids with valid requests,
 * then sends malformed variants until the budget is spent, and lists every answer ≥ 500.
 */
import type { ServiceApp } from '@lumikb/service-kit';
import { type KeyPair, serviceToken, userToken } from '@lumikb/test-kit';
import {
  type FuzzRequest,
  idsIn,
  malformedRequest,
  type Operation,
  operationsOf,
  seededRng,
  validValue,
} from './fuzz.ts';

/** Per service, in milliseconds; FUZZ_SEED replays a run. */
export const FUZZ_BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 5_000);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

export interface FuzzTarget {
  app: ServiceApp;
  keys: KeyPair;
  /** A real admin's token where the service checks tokens against its own users. */
  adminToken?: string;
}

export interface FuzzOutcome {
  operations: number;
  requests: number;
  /** One line per answer ≥ 500: the request, what was broken, the answer. */
  failures: string[];
}

const PROBES = new Set(['/health', '/ready', '/metrics']);
const routeKey = (op: Operation) => `${op.method} ${op.path.replace(/\{(\w+)\}/g, ':$1')}`;

export async function fuzzService(
  target: FuzzTarget,
  seed = FUZZ_SEED,
  budgetMs = FUZZ_BUDGET_MS,
): Promise<FuzzOutcome> {
  const { app, keys } = target;
  const rng = seededRng(seed);
  const access = new Map(app.classifiedRoutes.map((r) => [`${r.method} ${r.url}`, r.access]));
  const adminToken = target.adminToken ?? userToken(keys, 3);
  const service = serviceToken(keys, 'fuzz');
  const tokenFor = (op: Operation) => (access.get(routeKey(op)) === 'service' ? service : adminToken);
  const operations = operationsOf(app.swagger() as never).filter(
    (op) => access.has(routeKey(op)) && !PROBES.has(op.path),
  );

  const failures: string[] = [];
  let requests = 0;
  const send = async (request: FuzzRequest, op: Operation) => {
    const res = await app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers: { ...request.headers, authorization: `Bearer ${tokenFor(op)}` },
      ...(request.payload !== undefined ? { payload: request.payload } : {}),
    });
    requests++;
    if (res.statusCode >= 500) {
      failures.push(
        `${request.method} ${request.url.slice(0, 120)} [${request.variant}] → ${res.statusCode} ${res.body.slice(0, 200)}`,
      );
    }
    return res;
  };

  // Real ids first, from valid creates and lists, so that malformed requests reach the
  // domain code behind the 404s.
  const ids: string[] = [];
  for (const op of operations) {
    if (op.pathParams.length > 0 || op.multipart || (op.method !== 'GET' && op.method !== 'POST')) continue;
    const body = op.method === 'POST' ? JSON.stringify(op.body ? validValue(op.body, rng) : {}) : undefined;
    const res = await send(
      {
        method: op.method,
        url: op.path,
        headers: body ? { 'content-type': 'application/json' } : {},
        ...(body ? { payload: body } : {}),
        variant: 'valid (seeding ids)',
      },
      op,
    );
    if (res.statusCode < 300) ids.push(...idsIn(res.body));
  }

  const deadline = Date.now() + budgetMs;
  while (operations.length > 0 && Date.now() < deadline) {
    const op = operations[Math.floor(rng() * operations.length)]!;
    await send(malformedRequest(op, rng, ids), op);
  }
  return { operations: operations.length, requests, failures };
}
