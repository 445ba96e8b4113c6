/**
 * Hostile files against a running worker (issue 12): the 300 MB docx bomb, the
 * 20,000-page PDF and a 50 MiB text, one after the other. For each: the document's final
 * state, the peak RSS of the service process (KB service and worker share it here) and of
 * the parse sandbox, and the longest /health answer of the worker (over real HTTP) while
 * it ran — against the same figures for an ordinary small document in the same run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { makeDocxBomb, makeLongText, makeManyPagePdf } from '@lumikb/ingest/testing';
import type { Teardown } from '@lumikb/test-kit';
import { startPipeline } from '../test/pipeline-helper.ts';

const MiB = 1024 * 1024;

/** Resident set of a process in bytes, from /proc (0 once it is gone). */
function rssOf(pid: number | 'self'): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Parse sandbox processes started by this process. */
function sandboxPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('parse-worker')) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

interface Watch {
  stop(): Promise<{ peakServiceRss: number; peakSandboxRss: number; longestHealthMs: number; healthChecks: number }>;
}

/** Samples RSS every 50 ms and asks /health back to back until stopped. */
function watch(healthUrl: string): Watch {
  let running = true;
  let peakServiceRss = 0;
  let peakSandboxRss = 0;
  let longestHealthMs = 0;
  let healthChecks = 0;
  const sampler = setInterval(() => {
    peakServiceRss = Math.max(peakServiceRss, rssOf('self'));
    for (const pid of sandboxPids()) peakSandboxRss = Math.max(peakSandboxRss, rssOf(pid));
  }, 50);
  const prober = (async () => {
    while (running) {
      const started = performance.now();
      const res = await fetch(healthUrl, { signal: AbortSignal.timeout(60_000) });
      await res.arrayBuffer();
      longestHealthMs = Math.max(longestHealthMs, performance.now() - started);
      healthChecks++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      clearInterval(sampler);
      await prober;
      return { peakServiceRss, peakSandboxRss, longestHealthMs, healthChecks };
    },
  };
}

export async function benchHostileFiles(): Promise<Record<string, string>> {
  const teardowns: (() => unknown)[] = [];
  const t: Teardown = { teardown: (fn) => void teardowns.push(fn) };
  try {
    const pipeline = await startPipeline(t, { workerEnv: { WORKER_CONCURRENCY: '2' } });
    const worker = pipeline.worker!;
    await worker.app.listen({ port: 0, host: '127.0.0.1' });
    const healthUrl = `http://127.0.0.1:${(worker.app.server.address() as AddressInfo).port}/health`;
    const kb = await pipeline.api.createKb({ name: 'Hostile files' });

    const files = [
      { label: 'baseline: 2 KB text', name: 'small.txt', bytes: makeLongText(2_000) },
      { label: '300 MB docx bomb', name: 'bomb.docx', bytes: await makeDocxBomb(300 * MiB) },
      { label: '20,000-page PDF', name: 'pages.pdf', bytes: makeManyPagePdf(20_000) },
      { label: '50 MiB text', name: 'long.txt', bytes: makeLongText(50 * MiB) },
    ];
    const figures: Record<string, string> = {};
    for (const file of files) {
      // Two phases, watched apart: the upload (the KB service, which shares this process
      // here) and the worker's handling of the document once it is stored.
      const uploadWatch = watch(healthUrl);
      const started = performance.now();
      const doc = await pipeline.api.upload(kb.id, file.name, file.bytes);
      const uploaded = performance.now();
      const upload = await uploadWatch.stop();
      const workerWatch = watch(healthUrl);
      const final = await pipeline.api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED'], 600_000);
      const done = performance.now();
      const seen = await workerWatch.stop();
      const error = typeof final.error_message === 'string' ? ` — ${final.error_message.split('. Permanent')[0]}` : '';
      const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
      figures[`${file.label} (${(file.bytes.length / MiB).toFixed(2)} MiB uploaded)`] =
        `${final.status}${error}; worker ${((done - uploaded) / 1000).toFixed(1)} s, ` +
        `peak RSS service ${mib(Math.max(seen.peakServiceRss, upload.peakServiceRss))}, sandbox ${mib(seen.peakSandboxRss)}, ` +
        `longest /health ${seen.longestHealthMs.toFixed(0)} ms (of ${seen.healthChecks}); ` +
        `upload ${((uploaded - started) / 1000).toFixed(1)} s, longest /health ${upload.longestHealthMs.toFixed(0)} ms`;
    }
    return figures;
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}
