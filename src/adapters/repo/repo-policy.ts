import type { ValidationIssue } from '../../domain/errors.js';
import { isValidBranchName } from '../../domain/git-ref.js';
import type { RepoSpec } from '../../application/ports/repo.port.js';

export interface RepoPolicy {
  /** Hosts that may be cloned over https. */
  allowedHosts: readonly string[];
  /** Hosts that may also be reached over plain http (a test server on loopback). */
  insecureHosts: readonly string[];
}

/**
 * Which repository URLs the worker will hand to git. Only https (http only for hosts named
 * insecure) to an allowed host, without credentials, query or fragment: git's other
 * transports (ext::, file://, ssh, scp-like paths) can run commands or read local files,
 * and an allowlist also keeps the worker from being aimed at internal addresses.
 */
export function checkRepoUrl(raw: string, policy: RepoPolicy): ValidationIssue[] {
  const refuse = (message: string): ValidationIssue[] => [{ path: 'repoUrl', message }];
  if (raw.startsWith('-')) return refuse('must not start with -');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('must be an https URL');
  }
  const host = url.hostname.toLowerCase();
  const insecure = policy.insecureHosts.includes(host) || policy.insecureHosts.includes(url.host.toLowerCase());
  if (url.protocol === 'http:' && !insecure) {
    return refuse(`must be an https URL: plain http only to a host in the worker's GIT_ALLOWED_INSECURE_HOSTS, which ${host} is not`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('must be an https URL');
  if (url.username || url.password) return refuse('must not carry credentials: send github.accessToken');
  if (url.search || url.hash) return refuse('must not have a query or fragment');
  if (!policy.allowedHosts.includes(host) && !insecure) return refuse(`host ${host} is not in the worker's GIT_ALLOWED_HOSTS`);
  if (url.pathname.length < 2 || url.pathname.includes('..')) return refuse('must name a repository');
  return [];
}

/** The URL and both branch names of a spec: the adapter checks again what the API already did. */
export function checkRepoSpec(spec: RepoSpec, policy: RepoPolicy): ValidationIssue[] {
  const issues = checkRepoUrl(spec.repoUrl, policy);
  if (spec.branch !== undefined && !isValidBranchName(spec.branch)) issues.push({ path: 'branch', message: 'must be a valid git branch name' });
  if (spec.push && !isValidBranchName(spec.push.branch)) issues.push({ path: 'push.branch', message: 'must be a valid git branch name' });
  return issues;
}

/** The part of a repository URL that credentials are scoped to: scheme, host and port. */
export function originOf(repoUrl: string): string {
  const url = new URL(repoUrl);
  return `${url.protocol}//${url.host}/`;
}
