/**
 * A real pseudo-terminal for CLI tests: util-linux `script` runs a shell command with stdin, stdout and stderr on
 * a new PTY; what the test writes to `script`'s stdin arrives as keystrokes (Enter is `\r`, Ctrl-C is `\x03`,
 * which the terminal turns into SIGINT for the whole foreground process group, as a real press does). The
 * output is what the terminal received; `renderScreen` replays it into the lines a person would see.
 */
import { spawn } from 'node:child_process';

export interface TerminalResult {
  readonly code: number | null;
  /** Everything the terminal received (both streams, with `\r\n` line ends and escape sequences). */
  readonly output: string;
}

export interface TerminalRun {
  /** Types on the terminal's keyboard. */
  type(keys: string): void;
  /** What the terminal has received so far. */
  output(): string;
  /** Resolves once the output matches; fails after `timeoutMs`. */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  readonly result: Promise<TerminalResult>;
  /** Ends the terminal's session (a failed test must not leave it running). */
  kill(): void;
}

/** The width the terminal is given (`stty cols`): what the CLI's output must fit. */
export const TERMINAL_COLUMNS = 100;

/**
 * Runs `command` (a shell command line) on a pseudo-terminal of `TERMINAL_COLUMNS` columns, in `cwd`, with
 * exactly `env` (plus PATH and HOME, which npm needs).
 */
export function runInTerminal(
  command: string,
  { cwd, env }: { readonly cwd: string; readonly env: Record<string, string> },
): TerminalRun {
  const child = spawn(
    'script',
    ['-qfec', `stty cols ${TERMINAL_COLUMNS} rows 50; exec ${command}`, '/dev/null'],
    {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const result = new Promise<TerminalResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
  return {
    type: (keys) => {
      child.stdin.write(keys);
    },
    output: () => output,
    async waitFor(pattern, timeoutMs = 20_000) {
      const startMs = Date.now();
      const matches = () => (typeof pattern === 'string' ? output.includes(pattern) : pattern.test(output));
      while (!matches()) {
        if (child.exitCode !== null)
          throw new Error(`the terminal's command ended before ${String(pattern)}:\n${output}`);
        if (Date.now() - startMs > timeoutMs)
          throw new Error(`timed out waiting for ${String(pattern)}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    result,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * The lines a terminal shows after receiving `raw`: `\r` returns to the line's start, `\n` starts a new line,
 * `ESC[2K` clears the line, other escape sequences are dropped, and printed characters overwrite what is under
 * the cursor. Text written after a status line without clearing it stays on that line, glued to it.
 */
export function renderScreen(raw: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let column = 0;
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i] ?? '';
    if (char === '\r') column = 0;
    else if (char === '\n') {
      row += 1;
      lines[row] ??= [];
      column = 0;
    } else if (char === '\u001b') {
      // A CSI sequence: ESC [ parameters final-letter.
      const sequence = /^\[[0-9;?]*[A-Za-z]/.exec(raw.slice(i + 1));
      if (sequence === null) continue;
      if (sequence[0] === '[2K') lines[row] = [];
      i += sequence[0].length;
    } else {
      const line = lines[row] ?? [];
      while (line.length < column) line.push(' ');
      line[column] = char;
      lines[row] = line;
      column += 1;
    }
  }
  return lines.map((line) => line.join('').trimEnd());
}
