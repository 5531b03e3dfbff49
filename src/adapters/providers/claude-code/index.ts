export { ClaudeCodeProvider, type ClaudeCodeConfig } from './claude-code.provider.js';
