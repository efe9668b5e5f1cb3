/**
 * Running a batch system's command and reading its output: the one side
 * effect of the batch types' commands modules.
 */

import { execa } from 'execa';

/** stdout of `command`; its stderr in the error when it fails. */
export async function output(command: string[], timeout = 30_000): Promise<string> {
  const [file, ...args] = command;
  const result = await execa(file, args, { reject: false, timeout, stdin: 'ignore' });
  if (result.failed) {
    const said = String(result.stderr ?? '').trim() || String(result.stdout ?? '').trim();
    throw new Error(`${command.join(' ')} failed${said ? `: ${said.split('\n').slice(-2).join(' | ')}` : ''}`);
  }
  return String(result.stdout);
}

/** stdout and stderr of `command`, whatever its exit status (for commands that exit non-zero for gone jobs). */
export async function anyOutput(command: string[], timeout = 30_000): Promise<{ stdout: string; stderr: string }> {
  const [file, ...args] = command;
  const result = await execa(file, args, { reject: false, timeout, stdin: 'ignore' });
  if (result.exitCode === undefined) {
    throw new Error(`${command.join(' ')} did not run: ${String(result.shortMessage ?? result.message ?? '')}`);
  }
  return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
}

/** Run a cancel command (qdel, bkill, condor_rm) on `ids`; ids already gone are no error. */
export async function cancelJobs(command: string, ids: string[]): Promise<void> {
  if (ids.length > 0) {
    await execa(command, ids, { reject: false, timeout: 30_000, stdin: 'ignore' });
  }
}

/** The first of `commands` that `which` does not find, or undefined when all are there. */
export function missingCommand(which: (command: string) => string | undefined, commands: string[]): string | undefined {
  return commands.find(command => which(command) === undefined);
}
