export { createHttpApp, type HttpAppDeps } from './http.app.js';
