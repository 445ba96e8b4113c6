/**
 * The outbound HTTP policy for calls whose target an admin (or anyone who can save a
 * model) chose: model endpoints, the LiteLLM proxy, what proxy-sync registers there.
 *
 * A target is checked after the URL is normalised (WHATWG) and the name resolved, on
 * every address it resolves to, and the connection is then made to the checked address
 * (the dispatcher's connector resolves and checks itself, so DNS rebinding between a
 * check and the connect has nothing to win, and a redirect is checked like any target).
 *
 * - never: the stack's own services, link-local addresses, cloud metadata endpoints,
 *   multicast/broadcast;
 * - loopback and private ranges: only when the caller says the target is local by
 *   nature (Ollama, LM Studio, custom) or an admin allows the host (OUTBOUND_ALLOW_HOSTS);
 * - everything else (public unicast): allowed.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import type { Provider } from '@lumikb/contracts';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, type Dispatcher } from 'undici';

export const OUTBOUND_TARGET_REFUSED = 'OUTBOUND_TARGET_REFUSED';

/** Providers that usually run next to the stack (a laptop's Ollama, a LAN GPU box). */
export const LOCAL_BY_NATURE_PROVIDERS: readonly Provider[] = ['ollama', 'lmstudio', 'custom'];

export function allowsPrivateTargets(provider: Provider | string): boolean {
  return (LOCAL_BY_NATURE_PROVIDERS as readonly string[]).includes(provider);
}

/** Host names that answer with cloud credentials, whatever they resolve to. */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
]);
/** 169.254.169.254 is link-local already; these are the metadata addresses outside it. */
const METADATA_ADDRESSES = ['fd00:ec2::254', '100.100.100.200'].map((a) => ipaddr.parse(a).toNormalizedString());

export type RefusalReason =
  | 'invalid_url'
  | 'scheme'
  | 'own_service'
  | 'metadata'
  | 'link_local'
  | 'not_unicast'
  | 'private'
  | 'unresolvable';

export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  readonly code = OUTBOUND_TARGET_REFUSED;
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

export interface OutboundPolicyOptions {
  /** Base URLs of the stack's own services (AUTH_URL, REGISTRY_URL, …): never a target. */
  ownServiceUrls?: readonly string[];
  /** Host names, addresses or CIDR ranges an admin allows even when loopback or private. */
  allowHosts?: readonly string[];
  /** Name resolution (tests pass a fake; default: the system resolver). */
  resolve?: Resolver;
}

export interface CheckOptions {
  /** Loopback and private addresses are acceptable (a local-by-nature provider). */
  allowPrivate: boolean;
}

export interface CheckedTarget {
  /** The normalised URL, without credentials or fragment. */
  url: string;
  hostname: string;
  port: number;
  /** Every address the name resolved to; all passed the check. */
  addresses: ResolvedAddress[];
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is. */
function parseAddress(text: string): Address | undefined {
  const bare = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return undefined;
  const parsed = ipaddr.parse(bare);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed;
}

const isLoopbackLike = (a: Address) => a.range() === 'loopback' || a.range() === 'unspecified';

const defaultPort = (protocol: string) => (protocol === 'https:' ? 443 : 80);

/**
 * The URL as it will be requested: parsed by the WHATWG rules (so 127.1, 0x7f.1 and
 * [::ffff:7f00:1] are the addresses they mean), http(s) only, without credentials or
 * fragment. An empty `?` or `#` disappears here instead of slipping past a check.
 */
export function normaliseOutboundUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new OutboundRefusedError('invalid_url', 'The endpoint is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundRefusedError('scheme', `Only http and https endpoints are allowed, not ${url.protocol}`);
  }
  url.username = '';
  url.password = '';
  url.hash = '';
  // `search` reads '' for both "no query" and a bare "?"; assigning '' drops the "?".
  if (!url.search) url.search = '';
  return url;
}

interface OwnService {
  hostname: string;
  port: number;
}

export class OutboundPolicy {
  private readonly own: OwnService[];
  private readonly allowNames = new Set<string>();
  private readonly allowRanges: [Address, number][] = [];
  private readonly resolve: Resolver;
  private readonly dispatchers = new Map<boolean, Dispatcher>();

  constructor(options: OutboundPolicyOptions = {}) {
    this.resolve = options.resolve ?? systemResolver;
    this.own = (options.ownServiceUrls ?? []).flatMap((u) => {
      try {
        const url = new URL(u);
        return [{ hostname: bareHost(url.hostname), port: Number(url.port) || defaultPort(url.protocol) }];
      } catch {
        return [];
      }
    });
    for (const entry of options.allowHosts ?? []) {
      const value = entry.trim().toLowerCase();
      if (!value) continue;
      if (value.includes('/') && ipaddr.isValidCIDR(value)) {
        const [range, bits] = ipaddr.parseCIDR(value);
        this.allowRanges.push([range, bits]);
      } else if (parseAddress(value)) {
        const a = parseAddress(value) as Address;
        this.allowRanges.push([a, a.kind() === 'ipv4' ? 32 : 128]);
      } else {
        this.allowNames.add(value.replace(/\.$/, ''));
      }
    }
  }

  /** Normalises, resolves and checks `raw`; throws OutboundRefusedError when refused. */
  async check(raw: string, options: CheckOptions): Promise<CheckedTarget> {
    const url = normaliseOutboundUrl(raw);
    const port = Number(url.port) || defaultPort(url.protocol);
    const hostname = bareHost(url.hostname);
    const addresses = await this.resolveChecked(hostname, port, options);
    return { url: url.toString(), hostname, port, addresses };
  }

  /**
   * A dispatcher whose every new connection resolves the host, checks each address and
   * connects to a checked one. One per policy and option set, so connections are pooled.
   */
  dispatcher(options: CheckOptions): Dispatcher {
    let dispatcher = this.dispatchers.get(options.allowPrivate);
    if (!dispatcher) {
      dispatcher = new Agent({
        connect: (opts, callback) => {
          const hostname = bareHost(opts.hostname);
          const port = Number(opts.port) || defaultPort(opts.protocol);
          this.resolveChecked(hostname, port, options).then(
            (addresses) => {
              // The socket's own lookup answers with the checked addresses only (all of
              // them, so happy eyeballs still finds the family the server listens on).
              const connect = buildConnector({ lookup: pinnedLookup(addresses) } as buildConnector.BuildOptions);
              connect(opts, callback);
            },
            (error: unknown) => callback(error as Error, null),
          );
        },
      });
      this.dispatchers.set(options.allowPrivate, dispatcher);
    }
    return dispatcher;
  }

  async close(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map((d) => d.close()));
    this.dispatchers.clear();
  }

  private async resolveChecked(hostname: string, port: number, options: CheckOptions): Promise<ResolvedAddress[]> {
    if (METADATA_HOSTS.has(hostname)) {
      throw new OutboundRefusedError('metadata', `${hostname} is a cloud metadata endpoint`);
    }
    const literal = parseAddress(hostname);
    let addresses: ResolvedAddress[];
    if (literal) {
      addresses = [{ address: literal.toString(), family: literal.kind() === 'ipv4' ? 4 : 6 }];
    } else {
      try {
        addresses = await this.resolve(hostname);
      } catch {
        throw new OutboundRefusedError('unresolvable', `Cannot resolve host "${hostname}" (DNS lookup failed)`);
      }
      if (addresses.length === 0) {
        throw new OutboundRefusedError('unresolvable', `Host "${hostname}" resolves to no address`);
      }
    }
    const ownAddresses = await this.ownAddresses(port);
    const allowedName = this.allowNames.has(hostname);
    for (const { address } of addresses) {
      const parsed = parseAddress(address);
      if (!parsed) throw new OutboundRefusedError('unresolvable', `Host "${hostname}" resolved to "${address}"`);
      this.judge(hostname, port, parsed, ownAddresses, options.allowPrivate || allowedName);
    }
    // Connect to what was checked, in its canonical form (never the raw text).
    return addresses.map(({ address }) => {
      const parsed = parseAddress(address) as Address;
      return { address: parsed.toString(), family: parsed.kind() === 'ipv4' ? 4 : 6 };
    });
  }

  private judge(
    hostname: string,
    port: number,
    address: Address,
    own: { loopback: boolean; exact: Set<string> },
    allowPrivate: boolean,
  ): void {
    const text = address.toNormalizedString();
    const where = hostname === address.toString() ? hostname : `${hostname} (${address.toString()})`;
    if (own.exact.has(text) || (own.loopback && (isLoopbackLike(address) || localInterfaceAddresses().has(text)))) {
      throw new OutboundRefusedError('own_service', `${where}:${port} is one of this platform's own services`);
    }
    if (METADATA_ADDRESSES.includes(text) || text === '169.254.169.254') {
      throw new OutboundRefusedError('metadata', `${where} is a cloud metadata endpoint`);
    }
    const range = address.range();
    if (range === 'linkLocal') {
      throw new OutboundRefusedError('link_local', `${where} is a link-local address`);
    }
    if (range === 'multicast' || range === 'broadcast') {
      throw new OutboundRefusedError('not_unicast', `${where} is not a unicast address`);
    }
    if (range === 'unicast') return;
    // Loopback, unspecified (0.0.0.0 reaches this host), private, unique-local, CGNAT,
    // and the translation ranges (NAT64, 6to4, Teredo) that can carry a private IPv4.
    if (allowPrivate || this.allowRanges.some(([r, bits]) => r.kind() === address.kind() && address.match(r, bits))) {
      return;
    }
    throw new OutboundRefusedError(
      'private',
      `${where} is a ${range === 'loopback' || range === 'unspecified' ? 'loopback' : 'private'} address, allowed only for local providers (Ollama, LM Studio, custom) or hosts listed in OUTBOUND_ALLOW_HOSTS`,
    );
  }

  /** The addresses of own services listening on `port` (loopback: the whole host). */
  private async ownAddresses(port: number): Promise<{ loopback: boolean; exact: Set<string> }> {
    const exact = new Set<string>();
    let loopback = false;
    for (const service of this.own.filter((s) => s.port === port)) {
      const literal = parseAddress(service.hostname);
      const resolved: Address[] = literal
        ? [literal]
        : await this.resolve(service.hostname).then(
            (list) => list.flatMap((a) => parseAddress(a.address) ?? []),
            // A name we cannot resolve now cannot be connected to either.
            () => [],
          );
      if (service.hostname === 'localhost') loopback = true;
      for (const a of resolved) {
        if (isLoopbackLike(a)) loopback = true;
        exact.add(a.toNormalizedString());
      }
    }
    return { loopback, exact };
  }
}

type LookupCallback = (error: Error | null, address: string | ResolvedAddress[], family?: number) => void;

/** A `net.connect` lookup that ignores DNS and answers with addresses already checked. */
function pinnedLookup(addresses: ResolvedAddress[]) {
  return (_hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback) => {
    const wanted = Number(String(options.family ?? 0).replace('IPv', '')) || 0;
    const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
    const first = usable[0];
    if (!first) return callback(Object.assign(new Error('no checked address'), { code: 'ENOTFOUND' }), '');
    if (options.all) return callback(null, usable);
    callback(null, first.address, first.family);
  };
}

/** URL host names keep IPv6 brackets and may end in a dot; compare them without. */
function bareHost(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

/** This machine's own addresses: a service on loopback is usually on all of them too. */
function localInterfaceAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      const parsed = parseAddress(info.address);
      if (parsed) out.add(parsed.toNormalizedString());
    }
  }
  return out;
}

/** Splits an OUTBOUND_ALLOW_HOSTS value ("ollama.lan, 10.0.0.0/8") into entries. */
export function parseAllowHosts(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
