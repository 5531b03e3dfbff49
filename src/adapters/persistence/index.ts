export { NoopPersistence } from './noop.persistence.js';
