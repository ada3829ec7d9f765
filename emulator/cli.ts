/**
 * `npm run emulator -- [--port-base N] [--tasks N] [--seed N] [--credentials password|aksk]
 * [--regions R1,R2 [--projects-per-region N]]`: starts the local cloud, prints the environment a purge needs
 * (`export NAME=value` lines: endpoints, region, project and one kind of credentials, plus the other kind as `#`
 * comments; with `--regions`, every region's `TASK_JANITOR_ENDPOINT_<HOST>_<REGION>` too) and serves until
 * SIGINT/SIGTERM, or until its parent process is gone.
 */
import { parseArgs } from 'node:util';
import { EmulatorOptionsError } from './errors';
import { startEmulator } from './index';
import type { Emulator, EmulatorRegionOptions } from './types';

const USAGE =
  'usage: npm run emulator -- [--port-base N] [--tasks N] [--seed N] [--credentials password|aksk] ' +
  '[--regions R1,R2,… [--projects-per-region N]] [--exit-on-stdin-end]';

const CREDENTIAL_KINDS = ['password', 'aksk'] as const;
type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** How often the parent is checked for. */
const PARENT_CHECK_INTERVAL_MS = 250;

function intFlag(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new RangeError(`--${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/**
 * `--regions a,b` with `--projects-per-region N`: each region's own project (named after it) and N − 1
 * sub-projects `<region>_p2`, `<region>_p3`, …
 */
function regionsFlag(
  raw: string | undefined,
  perRegionRaw: string | undefined,
): EmulatorRegionOptions[] | undefined {
  if (raw === undefined) {
    if (perRegionRaw !== undefined) throw new RangeError('--projects-per-region needs --regions');
    return undefined;
  }
  const perRegion = intFlag('projects-per-region', perRegionRaw, 1);
  if (perRegion < 1 || perRegion > 50)
    throw new RangeError(`--projects-per-region must be from 1 to 50, got "${perRegionRaw}"`);
  const ids = raw.split(',').map((id) => id.trim());
  if (ids.some((id) => id === '')) throw new RangeError(`--regions must list region ids, got "${raw}"`);
  return ids.map((id) => ({
    id,
    projects: Array.from({ length: perRegion }, (_, k) => ({ name: k === 0 ? id : `${id}_p${k + 1}` })),
  }));
}

function credentialsFlag(raw: string | undefined): CredentialKind {
  if (raw === undefined) return 'password';
  const kind = CREDENTIAL_KINDS.find((k) => k === raw);
  if (kind === undefined) throw new RangeError(`--credentials must be password or aksk, got "${raw}"`);
  return kind;
}

/**
 * The `export` lines a shell (or a test) takes the environment from. A purge refuses two credential kinds at
 * once, so the kind not chosen is printed commented out: `serverless invoke local --env …` takes the AK/SK.
 */
function renderEnvironment(emulator: Emulator, credentials: CredentialKind): string {
  const { account } = emulator;
  const passwordVars = ['OS_USERNAME', 'OS_PASSWORD', 'OS_DOMAIN_NAME'];
  const common = Object.entries(emulator.endpointEnv()).filter(([name]) => !passwordVars.includes(name));
  const password = Object.entries(emulator.endpointEnv()).filter(([name]) => passwordVars.includes(name));
  const aksk: [string, string][] = [
    ['HUAWEICLOUD_SDK_AK', account.accessKey],
    ['HUAWEICLOUD_SDK_SK', account.secretKey],
  ];
  const [chosen, other, otherName] =
    credentials === 'aksk' ? [aksk, password, 'password'] : [password, aksk, 'AK/SK'];
  return [
    ...[...common, ...chosen].map(([name, value]) => `export ${name}=${value}`),
    `# or ${otherName} credentials instead (unset the ones above first):`,
    ...other.map(([name, value]) => `#   export ${name}=${value}`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let flags: {
    'port-base'?: string;
    tasks?: string;
    seed?: string;
    credentials?: string;
    regions?: string;
    'projects-per-region'?: string;
    'exit-on-stdin-end'?: boolean;
  };
  let options: { portBase: number; tasks: number; seed: number; regions?: EmulatorRegionOptions[] };
  let credentials: CredentialKind;
  try {
    flags = parseArgs({
      options: {
        'port-base': { type: 'string' },
        tasks: { type: 'string' },
        seed: { type: 'string' },
        credentials: { type: 'string' },
        regions: { type: 'string' },
        'projects-per-region': { type: 'string' },
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
    const regions = regionsFlag(flags.regions, flags['projects-per-region']);
    if (regions !== undefined) options.regions = regions;
    credentials = credentialsFlag(flags.credentials);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const parentPid = process.ppid;
  let emulator: Emulator;
  try {
    emulator = await startEmulator(options);
  } catch (error) {
    if (!(error instanceof EmulatorOptionsError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(renderEnvironment(emulator, credentials));
  const projects = emulator.projects.map((p) => `${p.name} (${p.id})`);
  process.stderr.write(
    `emulator serving ${options.tasks} tasks per project (seed ${options.seed}) in ${projects.join(', ')}; Ctrl-C to stop\n`,
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // A parent that dies without passing its signal on (npm's shell after `kill <npm pid>`) would leave us
  // holding the ports: our parent pid changes when we are orphaned.
  setInterval(() => {
    if (process.ppid !== parentPid) stop();
  }, PARENT_CHECK_INTERVAL_MS).unref();
  // For parents that cannot signal through wrapper processes (npx → tsx → node): closing stdin stops us.
  if (flags['exit-on-stdin-end']) process.stdin.once('end', stop).resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
