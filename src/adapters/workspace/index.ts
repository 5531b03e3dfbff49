export { FsWorkspace } from './fs.workspace.js';
