/**
 * The headers the gateway sends upstream about its caller. The client's address and
 * scheme are the gateway's own conclusion (the socket, or what a TRUSTED_PROXIES proxy
 * said), written over whatever the client sent: a client-supplied X-Forwarded-For is
 * never appended to, so an upstream that trusts the gateway cannot be lied to through it.
 */

type Headers = Record<string, string | string[] | undefined>;

/** Headers by which a client could claim another address or host. */
const CLIENT_CLAIMS = ['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip'];

/** The parts of the incoming request the upstream is told about. */
interface ClientView {
  ip: string;
  protocol: string;
  id: string;
}

export function upstreamHeaders(request: ClientView, headers: Headers): Headers {
  const out: Headers = { ...headers };
  for (const name of CLIENT_CLAIMS) delete out[name];
  out['x-forwarded-for'] = request.ip;
  out['x-forwarded-proto'] = request.protocol;
  out['x-request-id'] = request.id;
  return out;
}
