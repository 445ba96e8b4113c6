/** Tables of the `gateway` schema: only the shared rate-limit counters. */
export const SCHEMA = 'gateway';

export interface RateLimitCounterTable {
  /** api | search | chat | upload (see rate-limit/buckets.ts). */
  bucket: string;
  /** `user:<id>` for a signed-in caller, `ip:<address>` for an anonymous one. */
  subject: string;
  window_start: Date;
  hits: number;
}

export interface GatewayDatabase {
  rate_limit_counters: RateLimitCounterTable;
}
