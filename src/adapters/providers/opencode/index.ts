export { OpencodeProvider, type OpencodeConfig } from './opencode.provider.js';
