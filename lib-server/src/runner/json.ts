/** Short-lived runner.py subcommands that answer one JSON document (job-script, config ...). */

import { execa } from 'execa';

/** Runs `runner.py <args>` with `python`, `input` as JSON on stdin; its stdout as JSON. */
export type RunnerJson = (python: string, args: string[], input: unknown) => Promise<unknown>;

/** Run `python runner.py <args>` with `input` as JSON on stdin; its stdout as JSON. */
export async function runRunnerJson(
  python: string,
  runnerPath: string,
  args: string[],
  input: unknown
): Promise<unknown> {
  const subcommand = args.join(' ');
  const result = await execa(python, [runnerPath, ...args], {
    input: JSON.stringify(input),
    reject: false,
    timeout: 60_000,
    env: { PYTHONDONTWRITEBYTECODE: '1' }
  });
  if (result.failed) {
    const stderr = String(result.stderr ?? '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');
    throw new Error(`runner.py ${subcommand} failed${stderr ? `: ${stderr}` : ''}`);
  }
  return JSON.parse(String(result.stdout)) as unknown;
}
