export { HttpDbApiPersistence, type HttpDbApiSettings } from './http-db-api.persistence.js';
export { NoopPersistence } from './noop.persistence.js';
export { DbApiSessionStore } from './db-api.session-store.js';
