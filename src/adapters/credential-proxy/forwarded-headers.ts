import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1: these describe one connection and are never forwarded. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Every header but the hop-by-hop ones, those the Connection header names, and `drop`. */
export function forwardedHeaders(headers: IncomingHttpHeaders, drop: readonly string[] = []): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name) || named.includes(name) || drop.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/** What the CLI presented in the header that carries its credential. */
export function presentedCredential(headers: IncomingHttpHeaders, header: 'x-api-key' | 'authorization', scheme?: string): string | undefined {
  const value = headers[header];
  if (typeof value !== 'string') return undefined;
  if (!scheme) return value;
  return value.startsWith(`${scheme} `) ? value.slice(scheme.length + 1) : undefined;
}
