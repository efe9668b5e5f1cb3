/** Run a short-lived command that prints one JSON document. */

import { execa } from 'execa';

/** Runs `file args` and returns its stdout parsed as JSON. */
export type JsonCommand = (file: string, args: string[], timeoutMs: number) => Promise<unknown>;

/** The real JsonCommand: execa with a timeout; failures say what ran and why. */
export const runJson: JsonCommand = async (file, args, timeoutMs) => {
  const result = await execa(file, args, {
    timeout: timeoutMs,
    reject: false,
    stdin: 'ignore',
    env: { PYTHONDONTWRITEBYTECODE: '1' }
  });
  if (result.failed) {
    const why = result.timedOut
      ? `timed out after ${timeoutMs / 1000} s`
      : result.exitCode !== undefined
        ? `exited with code ${result.exitCode}`
        : result.shortMessage;
    const stderr = String(result.stderr ?? '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');
    throw new Error(`${file} ${args.join(' ')} ${why}${stderr ? `: ${stderr}` : ''}`);
  }
  try {
    return JSON.parse(String(result.stdout)) as unknown;
  } catch {
    throw new Error(`${file} ${args.join(' ')} printed something that is not JSON`);
  }
};
