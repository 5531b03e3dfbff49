import { join } from 'node:path';
import { SimpleGitRepo } from '../../src/adapters/repo/index.js';

/** The git adapter as the tests run it: loopback allowed over http, a short silence limit. */
export function testGitRepo(root: string, overrides: Partial<ConstructorParameters<typeof SimpleGitRepo>[0]> = {}): SimpleGitRepo {
  return new SimpleGitRepo({
    allowedHosts: ['github.com'],
    insecureHosts: ['127.0.0.1'],
    stateDir: join(root, 'state'),
    path: process.env.PATH ?? '/usr/bin:/bin',
    timeoutMs: 20_000,
    authorName: 'unified-worker',
    authorEmail: 'worker@example.test',
    progressIntervalMs: 100,
    ...overrides,
  });
}
