/**
 * git's check-ref-format rules for a branch name, plus no leading '-' so that a branch can
 * never be read as an option (`--pathspec-from-file=/proc/self/environ` read files through
 * a "branch").
 */
export function isValidBranchName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    name !== '@' &&
    !/^[-/.]|[/.]$|\.\.|\/\/|@\{|\.lock(\/|$)|\/\./.test(name) &&
    !/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)
  );
}
