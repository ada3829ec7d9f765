/** Spawns the real `task-janitor` bin (as an operator would) and collects its output. */
import { fileURLToPath } from 'node:url';
import { type ProcessResult, runNodeProcess } from '../support/run-node';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/task-janitor.mjs', import.meta.url));

export type CliResult = ProcessResult;

/**
 * Runs `node bin/task-janitor.mjs ...args` with exactly `env` (plus PATH), asynchronously so that an emulator in
 * this process keeps answering.
 */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runNodeProcess([BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
}
