import { Secret } from '../../src/domain/secret.js';
import { testGitRepo } from './simple-git-repo.js';

// A worker in miniature, run by a test as its own process: it clones through the git adapter
// and exits (process.exit, as the worker's shutdown does) as soon as anything arrives on stdin.
const [root, workspace, repoUrl] = process.argv.slice(2) as [string, string, string];
process.stdin.once('data', () => process.exit(0));
testGitRepo(root)
  .prepare({ repoUrl, accessToken: new Secret(process.env.GIT_TEST_TOKEN ?? '') }, workspace, () => undefined, new AbortController().signal)
  .then(() => process.stdout.write('cloned\n'), () => process.stdout.write('failed\n'));
