export { SimpleGitRepo, type SimpleGitRepoSettings } from './simple-git.repo.js';
