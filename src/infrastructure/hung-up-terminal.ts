import { closeSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';

/**
 * Lets the process exit after its terminal hung up (the SSH session it was started from
 * dropped). As it exits, Node restores the settings of every stdio descriptor that was a
 * terminal at start and aborts when that fails, as it does with EIO on a hung-up terminal
 * (nodejs/node#42433); Node 20 then spins in a SIGSEGV loop at full CPU instead of exiting. A
 * descriptor it finds reopened on another file is skipped: such ones are reopened on /dev/null.
 */
export function exitCleanlyAfterHangUp(): void {
  const terminals = [0, 1, 2].filter((fd) => isatty(fd));
  if (terminals.length === 0) return;
  process.once('exit', () => {
    // isatty asks the terminal for its settings, which a hung-up one refuses.
    for (const fd of terminals) if (!isatty(fd)) reopenOnDevNull(fd);
  });
}

function reopenOnDevNull(fd: number): void {
  try {
    closeSync(fd);
    // The lowest free descriptor: `fd` itself, since the ones below it are open (or reopened just before).
    openSync('/dev/null', 'r+');
  } catch {
    // Closed is enough: Node skips a descriptor it cannot stat.
  }
}
