/**
 * Container fault checks on a running Compose stack (scripts/containers/faults.sh runs
 * this; `pnpm containers:e2e` runs both): while documents are being uploaded through the
 * gateway, it stops and restarts the Postgres container, then the NATS container, then
 * kills the knowledge-base and the ingestion-worker containers (SIGKILL; Compose's restart
 * policy brings them back). Then it checks what a user would notice:
 * - every upload the API accepted (2xx) is there and reaches READY — nothing accepted is lost;
 * - every service answers /ready again without anyone restarting it;
 * and prints the figures (accepted/refused uploads, recovery time after each fault).
 * Exit code 0 only when all of that holds. Needs: FAULTS_BASE_URL, FAULTS_PROJECT,
 * LUMIKB_ADMIN_EMAIL, LUMIKB_ADMIN_PASSWORD; the `podman` command.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const base = process.env.FAULTS_BASE_URL ?? 'http://127.0.0.1:47080';
const project = process.env.FAULTS_PROJECT ?? 'lumikb-e2e-containers';
const email = process.env.LUMIKB_ADMIN_EMAIL ?? 'admin@lumikb.local';
const password = process.env.LUMIKB_ADMIN_PASSWORD ?? '';
const SERVICES = ['gateway', 'auth', 'registry', 'knowledge-base', 'ingestion-worker', 'proxy-sync'];
/** How long a fault lasts (the dependency is down this long), and the budgets to recover. */
const OUTAGE_MS = Number(process.env.FAULTS_OUTAGE_MS ?? 8_000);
const RECOVER_MS = Number(process.env.FAULTS_RECOVER_MS ?? 180_000);
const DRAIN_MS = Number(process.env.FAULTS_DRAIN_MS ?? 300_000);

const log = (line: string) => process.stderr.write(`[faults] ${line}\n`);
const podman = (...args: string[]) => execFileSync('podman', args, { encoding: 'utf8' }).trim();
const containerOf = (service: string) =>
  podman(
    'ps',
    '-a',
    '-q',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
  ).split('\n')[0]!;

/**
 * A crash: SIGKILL to the container's main process from the host. Not `podman kill` (nor
 * `docker kill`): the engine counts that as stopped by the user and the restart policy does
 * not bring the container back (seen here: Exited (137), never restarted).
 */
function crash(service: string): void {
  const container = containerOf(service);
  const pid = Number(podman('inspect', '-f', '{{.State.Pid}}', container));
  if (!(pid > 0)) throw new Error(`${service}: no running process to kill (pid ${pid})`);
  const restarts = podman('inspect', '-f', '{{.RestartCount}}', container);
  process.kill(pid, 'SIGKILL');
  log(`${service}: killed pid ${pid} (restarts before: ${restarts})`);
}

let cookie = '';
async function api(method: string, path: string, body?: string | FormData, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, {
    method,
    body,
    headers: { origin: base, cookie, ...headers },
    signal: AbortSignal.timeout(15_000),
  });
}
async function signIn(): Promise<void> {
  const res = await api('POST', '/api/v1/auth/login', JSON.stringify({ email, password }), {
    'content-type': 'application/json',
  });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/** Every service container answers /ready (run inside it: the ports are not published). */
function allReady(): boolean {
  return SERVICES.every((s) => {
    try {
      podman('exec', containerOf(s), 'node', '/app/healthcheck.mjs', '/ready');
      return true;
    } catch {
      return false;
    }
  });
}
async function waitAllReady(what: string): Promise<number> {
  const started = Date.now();
  while (!allReady()) {
    if (Date.now() - started > RECOVER_MS) throw new Error(`${what}: services not ready after ${RECOVER_MS} ms`);
    await sleep(1_000);
  }
  return Date.now() - started;
}

// ------------------------------------------------------------------ the uploader
const accepted: string[] = [];
let refused = 0;
let uploading = true;
let kbId = '';
async function uploader(): Promise<void> {
  let n = 0;
  while (uploading) {
    n++;
    const form = new FormData();
    form.append(
      'file',
      new Blob([`# Fault doc ${n}\n\nUploaded while containers fail, number ${n}.\n`], { type: 'text/markdown' }),
      `fault-${n}.md`,
    );
    try {
      const res = await api('POST', `/api/v1/knowledge-bases/${kbId}/documents`, form);
      if (res.ok) accepted.push(((await res.json()) as { id: string }).id);
      else {
        refused++;
        if (res.status === 401) await signIn().catch(() => {});
        await res.body?.cancel();
      }
    } catch {
      refused++; // the gateway itself was unreachable: nothing accepted
    }
    await sleep(300);
  }
}

async function main(): Promise<void> {
  await signIn();
  const kb = await api('POST', '/api/v1/knowledge-bases', JSON.stringify({ name: `Faults ${Date.now()}` }), {
    'content-type': 'application/json',
  });
  if (!kb.ok) throw new Error(`create KB: ${kb.status} ${await kb.text()}`);
  kbId = ((await kb.json()) as { id: string }).id;
  const upload = uploader();
  await sleep(2_000);

  const figures: string[] = [];
  for (const [name, action] of [
    [
      'postgres stop/start',
      async () => {
        podman('stop', '-t', '5', containerOf('postgres'));
        await sleep(OUTAGE_MS);
        podman('start', containerOf('postgres'));
      },
    ],
    [
      'nats stop/start',
      async () => {
        podman('stop', '-t', '5', containerOf('nats'));
        await sleep(OUTAGE_MS);
        podman('start', containerOf('nats'));
      },
    ],
    ['knowledge-base SIGKILL', async () => crash('knowledge-base')],
    ['ingestion-worker SIGKILL', async () => crash('ingestion-worker')],
  ] as const) {
    const before = accepted.length;
    log(`${name} …`);
    await action();
    const ms = await waitAllReady(name);
    await sleep(2_000);
    figures.push(
      `${name}: every service ready ${(ms / 1000).toFixed(1)} s after the fault ended; uploads accepted meanwhile: ${accepted.length - before}`,
    );
    log(figures.at(-1)!);
  }
  uploading = false;
  await upload;

  // Nothing accepted is lost: every accepted document exists and reaches READY.
  const started = Date.now();
  const pending = new Set(accepted);
  const failed = new Map<string, string>();
  while (pending.size > 0 && Date.now() - started < DRAIN_MS) {
    for (const id of [...pending]) {
      const res = await api('GET', `/api/v1/knowledge-bases/${kbId}/documents/${id}`).catch(() => undefined);
      if (!res) continue;
      if (res.status === 401) {
        await signIn().catch(() => {});
        continue;
      }
      if (res.status === 404) {
        failed.set(id, 'missing');
        pending.delete(id);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        continue;
      }
      const doc = (await res.json()) as { status: string };
      if (doc.status === 'READY') pending.delete(id);
      else if (doc.status === 'FAILED') {
        failed.set(id, 'FAILED');
        pending.delete(id);
      }
    }
    if (pending.size > 0) await sleep(1_000);
  }
  for (const id of pending) failed.set(id, 'not READY in time');
  const drained = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    [
      'container fault figures:',
      ...figures.map((f) => `  ${f}`),
      `  uploads: ${accepted.length} accepted, ${refused} refused during faults; ${accepted.length - failed.size} READY, ${failed.size} lost or failed (all READY ${drained} s after the last fault)`,
      '',
    ].join('\n'),
  );
  for (const [id, why] of failed) log(`document ${id}: ${why}`);
  if (failed.size > 0 || accepted.length === 0) process.exit(1);
}

main().catch((error) => {
  log(`failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
