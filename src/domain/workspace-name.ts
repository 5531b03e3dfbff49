/** One directory name of a requested workspace: no hidden names, nothing a shell or git reads as an option. */
export const workspaceSegment = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export const isWorkspacePath = (relativePath: string): boolean => relativePath.split('/').every((part) => workspaceSegment.test(part));
