/** Spawns the real `task-janitor` bin (as an operator would) and collects its output. */
import { fileURLToPath } from 'node:url';
import {
  type ProcessResult,
  runNodeProcess,
  type StartedProcess,
  startNodeProcess,
} from '../support/run-node';

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

/** Starts the bin and hands back the child, for tests that signal it or close its pipes. */
export function startCli(
  args: readonly string[],
  env: Record<string, string>,
  { nodeFlags = [] }: { readonly nodeFlags?: readonly string[] } = {},
): StartedProcess {
  return startNodeProcess([...nodeFlags, BIN, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

/** Polls `condition` every 5 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const startMs = Date.now();
  while (!condition()) {
    if (Date.now() - startMs > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
