/**
 * `pnpm bench [name …]`: runs the benchmarks and prints their figures. Each one
 * measures its baseline in the same run, so ratios hold across machines.
 */
export type Bench = () => Promise<Record<string, unknown>>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  kit: async () => (await import('./kit.ts')).benchKit,
};

// Benchmarks contributed by each area, when present.
const OPTIONAL: Record<string, [string, string]> = {
  registry: ['./registry.ts', 'benchRegistry'],
  'proxy-sync': ['./proxy-sync.ts', 'benchProxySync'],
  llm: ['./llm.ts', 'benchLlm'],
  'vector-store': ['./vector-store.ts', 'benchVectorStoreAll'],
  ingestion: ['./ingestion.ts', 'benchIngestion'],
  ingest: ['./ingest.ts', 'benchIngestFormats'],
  startup: ['./startup.ts', 'benchStartup'],
  'hostile-files': ['./hostile-files.ts', 'benchHostileFiles'],
  'gateway-rate-limit': ['./gateway-rate-limit.ts', 'benchGatewayRateLimit'],
  web: ['./web.ts', 'benchWeb'],
  retrieval: ['./retrieval.ts', 'benchRetrieval'],
};
for (const [name, [file, exported]] of Object.entries(OPTIONAL)) {
  BENCHES[name] = async () => {
    const module = (await import(file)) as Record<string, Bench>;
    const fn = module[exported];
    if (!fn) throw new Error(`${file} does not export ${exported}`);
    return fn;
  };
}

// Flags (e.g. --json) are for the benchmarks themselves, which read process.argv.
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const json = process.argv.includes('--json');
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
let failed = false;
for (const name of names) {
  const load = BENCHES[name];
  if (!load) {
    process.stderr.write(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}\n`);
    failed = true;
    continue;
  }
  if (!json) process.stdout.write(`\n## ${name}\n`);
  try {
    const figures = await (await load())();
    if (json) continue;
    for (const [k, v] of Object.entries(figures)) {
      process.stdout.write(
        `  ${k.padEnd(44)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`,
      );
    }
  } catch (error) {
    failed = true;
    process.stdout.write(`  failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
process.exit(failed ? 1 : 0);
