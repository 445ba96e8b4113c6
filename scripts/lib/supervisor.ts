/**
 * Runs each service as its own process with prefixed, readable logs; restarts one that
 * crashes (with backoff); stops them all together. Each service runs in a process group of
 * its own, so stopping it also stops whatever it started (a parse sandbox, a worker).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ProcessSpec {
  name: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Command and arguments. */
  command: [string, string[]];
}

const COLORS = [36, 35, 33, 32, 34, 91];
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/** A pino JSON line as one short human line; anything else unchanged. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const level = LEVELS[entry.level as number] ?? String(entry.level);
    const req = entry.req as { method?: string; url?: string } | undefined;
    const res = entry.res as { statusCode?: number } | undefined;
    const extra = [
      req ? `${req.method} ${req.url}` : '',
      res?.statusCode ? String(res.statusCode) : '',
      typeof entry.responseTime === 'number' ? `${entry.responseTime.toFixed(1)}ms` : '',
      entry.err ? `— ${(entry.err as { message?: string }).message}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return `${level} ${entry.msg ?? ''}${extra ? ` ${extra}` : ''}`;
  } catch {
    return line;
  }
}

export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;
  private readonly pad: number;
  private launched = 0;
  /** Exits per service since start, so a caller waiting for readiness can give up early. */
  readonly exits = new Map<string, number>();
  /** Every process id this supervisor started, running or not (tests check none survives). */
  readonly pids: number[] = [];

  constructor(
    names: string[],
    private readonly options: { raw?: boolean; write?: (line: string) => void } = {},
  ) {
    this.pad = Math.max(...names.map((n) => n.length));
  }

  private write(line: string): void {
    if (this.options.write) this.options.write(line);
    else process.stdout.write(`${line}\n`);
  }

  /** The tag a service's lines are prefixed with. */
  tag(name: string, color = COLORS[0]!): string {
    return `\u001b[${color}m[${name.padEnd(this.pad)}]\u001b[0m`;
  }

  start(spec: ProcessSpec): void {
    if (this.stopping) return;
    this.launch(spec, COLORS[this.launched++ % COLORS.length]!, 0);
  }

  private launch(spec: ProcessSpec, color: number, restarts: number): void {
    const [cmd, args] = spec.command;
    // detached: a process group of its own, so stop() reaches the service's own children.
    const child = spawn(cmd, args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.children.set(spec.name, child);
    if (child.pid) this.pids.push(child.pid);
    const startedAt = Date.now();
    const tag = this.tag(spec.name, color);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        this.write(`${tag} ${this.options.raw ? line : formatLogLine(line)}`);
      });
    }
    child.on('error', (error) => this.write(`${tag} cannot start ${cmd}: ${error.message}`));
    child.on('exit', (code, signal) => {
      this.children.delete(spec.name);
      // Whatever the service left behind in its group goes with it.
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
      if (this.stopping) return;
      this.exits.set(spec.name, (this.exits.get(spec.name) ?? 0) + 1);
      // A service that ran a while before crashing starts again at once; one that
      // keeps crashing at start-up waits longer each time (up to 30 s).
      const ranLong = Date.now() - startedAt > 60_000;
      const attempt = ranLong ? 0 : restarts + 1;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt - 1));
      this.write(`${tag} exited (${signal ?? `code ${code}`}); restarting in ${Math.round(delay / 1000)} s`);
      setTimeout(() => {
        if (!this.stopping) this.launch(spec, color, attempt);
      }, delay).unref();
    });
  }

  /** SIGTERM to every service's group, SIGKILL to those still running after the grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    const running = [...this.children.values()];
    await Promise.all(
      running.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null || !child.pid) return resolve();
            const pid = child.pid;
            const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            signalGroup(pid, 'SIGTERM');
          }),
      ),
    );
  }
}

/** Signals a whole process group (the group id is its leader's pid); gone already is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has no process left
  }
}
