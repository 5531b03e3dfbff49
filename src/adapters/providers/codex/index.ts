export { CodexProvider, codexSandboxModes, type CodexConfig } from './codex.provider.js';
