import { describe, expect, it } from 'vitest';
import { checkRepoUrl } from '../../src/adapters/repo/repo-policy.js';

const policy = { allowedHosts: ['github.com'], insecureHosts: ['127.0.0.1'] };
const refusal = (url: string) => checkRepoUrl(url, policy)[0]?.message;

describe('the repository URL policy', () => {
  it('accepts https to an allowed host, and plain http to an insecure one', () => {
    expect(checkRepoUrl('https://github.com/acme/api.git', policy)).toEqual([]);
    expect(checkRepoUrl('http://127.0.0.1:8080/acme/api.git', policy)).toEqual([]);
  });

  it('says which setting would make a refused URL work', () => {
    expect(refusal('http://github.com/acme/api.git')).toBe(
      "must be an https URL: plain http only to a host in the worker's GIT_ALLOWED_INSECURE_HOSTS, which github.com is not",
    );
    expect(refusal('https://gitlab.example.com/acme/api.git')).toBe("host gitlab.example.com is not in the worker's GIT_ALLOWED_HOSTS");
    expect(refusal('https://token@github.com/acme/api.git')).toBe('must not carry credentials: send github.accessToken');
    expect(refusal('file:///etc/passwd')).toBe('must be an https URL');
    expect(refusal('not a url')).toBe('must be an https URL');
  });
});
