/**
 * What an operator (level 2) sees of the audit trail. Operators watch the platform —
 * who acted, on what, when, with which outcome — but are not trusted with the people
 * and content behind it: e-mail addresses are masked, client addresses cut to their
 * network, and the names of users, knowledge bases and documents in old/new values are
 * hidden. Ids stay whole, so an operator can still correlate and hand a record to an
 * administrator, who sees everything. Documented in docs/security.md.
 */
import ipaddr from 'ipaddr.js';

export const HIDDEN = '[hidden]';
const EMAIL = /^([^\s@])[^\s@]*@([^\s@]+)$/;
/** Resources whose names identify a person or reveal what a KB contains. */
const NAMED_CONTENT = new Set(['user', 'knowledge_base', 'document']);
const NAME_KEYS = new Set(['name', 'display_name', 'filename', 'description', 'kb_name']);
const IP_KEYS = new Set(['ip', 'client_ip']);

/** `ann@company.local` → `a***@company.local` (the domain says which organisation, not who). */
export function maskEmail(email: string): string {
  const m = EMAIL.exec(email);
  return m ? `${m[1]}***@${m[2]}` : HIDDEN;
}

/** An address cut to its network: IPv4 to /24, IPv6 to /48 (`203.0.113.0/24`). */
export function truncateIp(ip: string): string {
  if (!ipaddr.isValid(ip)) return HIDDEN;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  const bits = addr.kind() === 'ipv4' ? 24 : 48;
  const bytes = addr.toByteArray().map((b, i) => (i * 8 >= bits ? 0 : b));
  return `${ipaddr.fromByteArray(bytes).toString()}/${bits}`;
}

function redactValue(value: unknown, hideNames: boolean, key?: string): unknown {
  if (typeof value === 'string') {
    if (key && IP_KEYS.has(key)) return truncateIp(value);
    if (hideNames && key && NAME_KEYS.has(key)) return HIDDEN;
    return EMAIL.test(value) ? maskEmail(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, hideNames));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, hideNames, k)]));
  }
  return value;
}

export interface AuditView {
  resource_type: string;
  actor: { type: string; id: string; email: string | null };
  ip: string | null;
  old_value: unknown;
  new_value: unknown;
}

export function operatorView<T extends AuditView>(entry: T): T {
  const hideNames = NAMED_CONTENT.has(entry.resource_type);
  return {
    ...entry,
    actor: { ...entry.actor, email: entry.actor.email === null ? null : maskEmail(entry.actor.email) },
    ip: entry.ip === null ? null : truncateIp(entry.ip),
    old_value: redactValue(entry.old_value, hideNames),
    new_value: redactValue(entry.new_value, hideNames),
  };
}
