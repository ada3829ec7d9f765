/**
 * `npm run emulator -- [--port-base N] [--tasks N] [--seed N]`: starts the local cloud, prints the endpoint
 * environment (`export NAME=value` lines) and serves until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './index';

const USAGE = 'usage: npm run emulator -- [--port-base N] [--tasks N] [--seed N] [--exit-on-stdin-end]';

function intFlag(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new RangeError(`--${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

async function main(): Promise<void> {
  let flags: { 'port-base'?: string; tasks?: string; seed?: string; 'exit-on-stdin-end'?: boolean };
  let options: { portBase: number; tasks: number; seed: number };
  try {
    flags = parseArgs({
      options: {
        'port-base': { type: 'string' },
        tasks: { type: 'string' },
        seed: { type: 'string' },
        'exit-on-stdin-end': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
    options = {
      portBase: intFlag('port-base', flags['port-base'], 0),
      tasks: intFlag('tasks', flags.tasks, 200),
      seed: intFlag('seed', flags.seed, 1),
    };
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const emulator = await startEmulator(options);
  for (const [name, value] of Object.entries(emulator.endpointEnv()))
    process.stdout.write(`export ${name}=${value}\n`);
  process.stderr.write(`emulator serving ${options.tasks} tasks (seed ${options.seed}); Ctrl-C to stop\n`);
  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // For parents that cannot signal through wrapper processes (npx → tsx → node): closing stdin stops us.
  if (flags['exit-on-stdin-end']) process.stdin.once('end', stop).resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
