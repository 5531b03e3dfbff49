export { CursorProvider, type CursorConfig } from './cursor.provider.js';
