/** Runs a Node.js child process with an exact environment and collects its output. */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface ProcessResult {
  readonly code: number | null;
  /** The signal that ended the process, when one did (then `code` is null). */
  readonly signal?: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StartedProcess {
  /** The child, for tests that signal it or close its pipes early. */
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Resolves when the process has exited and its pipes are closed. */
  readonly result: Promise<ProcessResult>;
  /** What the child has written so far. */
  output(): { readonly stdout: string; readonly stderr: string };
}

/**
 * Starts `node ...args` in `cwd` with exactly `env` (nothing of this process's environment but what the caller
 * passes), asynchronously so that servers in this process (an emulator, a fake SSM) keep answering.
 */
export function startNodeProcess(
  args: readonly string[],
  { cwd, env }: { readonly cwd: string; readonly env: Record<string, string> },
): StartedProcess {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const result = new Promise<ProcessResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result, output: () => ({ stdout, stderr }) };
}

/** `node ...args`, collecting its output until it exits. */
export function runNodeProcess(
  args: readonly string[],
  options: { readonly cwd: string; readonly env: Record<string, string> },
): Promise<ProcessResult> {
  return startNodeProcess(args, options).result;
}
