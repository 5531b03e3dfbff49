export { CopilotProvider, type CopilotConfig } from './copilot.provider.js';
