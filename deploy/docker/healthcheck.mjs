// Container health check: GET /health on the service's own port. Used by the image's
// HEALTHCHECK and by the Compose files; needs nothing but node (no curl or wget in the
// image). Exit 0 when the process answers 200 within the timeout, 1 otherwise.
const DEFAULT_PORTS = {
  gateway: 8080,
  auth: 8081,
  registry: 8082,
  'knowledge-base': 8083,
  'ingestion-worker': 8084,
  'proxy-sync': 8085,
};
const port = process.env.PORT || DEFAULT_PORTS[process.env.LUMIKB_SERVICE ?? ''] || 8080;
const path = process.argv[2] ?? '/health';

try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2500) });
  if (!response.ok) {
    process.stderr.write(`${path} answered ${response.status}\n`);
    process.exit(1);
  }
  process.exit(0);
} catch (error) {
  process.stderr.write(`${path} unreachable on port ${port}: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
}
