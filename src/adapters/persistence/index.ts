export { HttpDbApiPersistence, type HttpDbApiSettings } from './http-db-api.persistence.js';
export { NoopPersistence } from './noop.persistence.js';
