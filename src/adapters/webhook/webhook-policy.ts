import { Webhook } from 'standardwebhooks';
import type { ValidationIssue } from '../../domain/errors.js';
import type { Secret } from '../../domain/secret.js';
import type { WebhookTarget } from '../../application/ports/job-notifier.port.js';

export interface WebhookPolicy {
  /** WEBHOOK_ALLOWED_HOSTS: hosts that may receive webhooks over https: `host`, `host:port`, or `*.example.com` for its subdomains. */
  allowedHosts: readonly string[];
  /** WEBHOOK_ALLOWED_INSECURE_HOSTS: hosts that may also be reached over plain http (a receiver on loopback), as for git. */
  insecureHosts: readonly string[];
}

// The spec asks for secrets of 24 to 64 random bytes; fewer would make the HMAC guessable.
const minSecretBytes = 24;

/** `*.example.com` matches any subdomain (not example.com itself); other entries the host name, or host:port. */
function matches(entry: string, url: URL): boolean {
  const pattern = entry.trim().toLowerCase();
  const host = url.hostname.toLowerCase();
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host || pattern === url.host.toLowerCase();
}

/**
 * Which URLs the worker will post a job's end to. Only https (http only for hosts named
 * insecure) to an allowed host, without credentials or fragment: the worker posts from inside
 * its network, so an allowlist keeps a client from aiming it at internal addresses. Messages
 * name the host, never the URL, which may carry credentials.
 */
export function checkWebhookUrl(raw: string, policy: WebhookPolicy): ValidationIssue[] {
  const refuse = (message: string): ValidationIssue[] => [{ path: 'url', message }];
  if (policy.allowedHosts.length === 0 && policy.insecureHosts.length === 0) {
    return refuse('webhooks are off on this worker: its operator sets WEBHOOK_ALLOWED_HOSTS to the hosts that may receive them');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('must be an absolute https URL');
  }
  const insecure = policy.insecureHosts.some((entry) => matches(entry, url));
  if (url.protocol === 'http:' && !insecure) {
    return refuse(`must be https: plain http only to a host in WEBHOOK_ALLOWED_INSECURE_HOSTS, and ${url.host} is not`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('must be an absolute https URL');
  if (url.username || url.password) return refuse('must not carry credentials: the receiver checks the webhook-signature header instead');
  if (url.hash || raw.includes('#')) return refuse('must not have a fragment');
  if (!insecure && !policy.allowedHosts.some((entry) => matches(entry, url))) {
    return refuse(`host ${url.hostname} is not in this worker's WEBHOOK_ALLOWED_HOSTS`);
  }
  return [];
}

/** The secret's key, as the standardwebhooks package reads it; undefined when it cannot. */
export function signerOf(secret: Secret): Webhook | undefined {
  try {
    return new Webhook(secret.reveal());
  } catch {
    return undefined;
  }
}

export function checkWebhookSecret(secret: Secret): ValidationIssue[] {
  const refuse = (message: string): ValidationIssue[] => [{ path: 'secret', message }];
  const raw = secret.reveal().replace(/^whsec_/, '');
  // Node's base64 decoder skips what is not base64, so the package decides what is readable.
  if (!signerOf(secret) || !/^[A-Za-z0-9+/]+={0,2}$/.test(raw)) {
    return refuse('must be a Standard Webhooks secret: whsec_ and the base64 of 24 to 64 random bytes');
  }
  if (Buffer.from(raw, 'base64').length < minSecretBytes) return refuse(`must hold at least ${minSecretBytes} random bytes (whsec_ and 32 or more base64 characters)`);
  return [];
}

/** Both halves of a target: the adapter checks again, at delivery, what the API already did. */
export function checkWebhookTarget(target: WebhookTarget, policy: WebhookPolicy): ValidationIssue[] {
  return [...checkWebhookUrl(target.url, policy), ...checkWebhookSecret(target.secret)];
}
