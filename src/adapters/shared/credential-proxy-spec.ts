import type { Secret } from '../../domain/secret.js';

/**
 * What a provider asks of a job's credential proxy (adapters/credential-proxy): the CLI gets
 * the proxy's URL and a placeholder, the proxy alone holds the real credential. It lives here
 * because the providers use it and the proxy implements it, and neither may import the other.
 */
export interface CredentialProxySpec {
  /** The real API or the operator's gateway, with any path prefix it has. */
  upstream: string;
  /** The only request paths forwarded (the query string may vary), all POST. */
  paths: readonly string[];
  /** Where the CLI puts its credential, and so where the proxy checks and replaces it. */
  credential: { header: 'x-api-key' | 'authorization'; scheme?: 'Bearer'; value: Secret };
  /** The placeholder starts like the real credential, so the CLI's own format checks pass. */
  placeholderPrefix: string;
}

/** A running proxy; close() ends it and every connection through it. */
export interface CredentialProxy {
  readonly url: string;
  readonly placeholder: string;
  close(): Promise<void>;
}

export type StartCredentialProxy = (spec: CredentialProxySpec) => Promise<CredentialProxy>;
