/** The six services, their default ports and the env var that overrides each port. */
export interface ServiceSpec {
  name: 'gateway' | 'auth' | 'registry' | 'knowledge-base' | 'ingestion-worker' | 'proxy-sync';
  port: number;
  portVariable: string;
  /** Owns a Postgres schema (and so has `pnpm migrate`). */
  hasSchema: boolean;
}

export const SERVICES: readonly ServiceSpec[] = [
  { name: 'auth', port: 8081, portVariable: 'AUTH_PORT', hasSchema: true },
  { name: 'registry', port: 8082, portVariable: 'REGISTRY_PORT', hasSchema: true },
  { name: 'knowledge-base', port: 8083, portVariable: 'KB_PORT', hasSchema: true },
  { name: 'ingestion-worker', port: 8084, portVariable: 'INGESTION_WORKER_PORT', hasSchema: true },
  { name: 'proxy-sync', port: 8085, portVariable: 'PROXY_SYNC_PORT', hasSchema: true },
  { name: 'gateway', port: 8080, portVariable: 'GATEWAY_PORT', hasSchema: true },
];

export function portOf(service: ServiceSpec, env: NodeJS.ProcessEnv): number {
  const raw = env[service.portVariable];
  return raw ? Number(raw) : service.port;
}
