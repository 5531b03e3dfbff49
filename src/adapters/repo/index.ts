export { NoopRepo } from './noop.repo.js';
