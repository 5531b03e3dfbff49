export { GeminiProvider, geminiApprovalModes, type GeminiConfig } from './gemini.provider.js';
