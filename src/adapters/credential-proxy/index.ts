export { startCredentialProxy } from './credential-proxy.js';
