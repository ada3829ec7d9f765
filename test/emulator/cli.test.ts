import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli';
import { requestPasswordToken } from '../support/iam-token';

function run(args: string[]): ChildProcess {
  return spawn('npx', ['tsx', 'emulator/cli.ts', ...args], {
    cwd: process.cwd(),
    // Vitest's fork workers pass loader flags through NODE_OPTIONS; the CLI must run as a plain process.
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** npx and tsx do not pass SIGTERM on to the CLI's own process; closing its stdin stops it cleanly. */
function stopGroup(proc: ChildProcess): void {
  proc.stdin?.end();
}

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const done = exitCode(child);
    stopGroup(child);
    await done;
  }
  child = undefined;
});

describe('emulator CLI', () => {
  it('prints the endpoint variables; a token from its IAM lists DCS instances; it closes cleanly', async () => {
    child = run(['--port-base', '0', '--tasks', '50', '--seed', '4', '--exit-on-stdin-end']);
    const env = await new Promise<Record<string, string>>((resolve, reject) => {
      let out = '';
      child?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('OS_DOMAIN_NAME=') && out.endsWith('\n')) {
          resolve(
            Object.fromEntries(
              [...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
            ),
          );
        }
      });
      child?.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        'TASK_JANITOR_ENDPOINT_IAM',
        'TASK_JANITOR_ENDPOINT_DCS',
        'TASK_JANITOR_ENDPOINT_MODELARTS',
        'TASK_JANITOR_ENDPOINT_OMS',
        'TASK_JANITOR_ENDPOINT_DIS',
        'TASK_JANITOR_REGION',
        'TASK_JANITOR_PROJECT_ID',
        'OS_USERNAME',
        'OS_PASSWORD',
        'OS_DOMAIN_NAME',
      ]),
    );
    const tokenRes = await requestPasswordToken(
      env.TASK_JANITOR_ENDPOINT_IAM,
      { userName: env.OS_USERNAME, password: env.OS_PASSWORD, domainName: env.OS_DOMAIN_NAME },
      { name: env.TASK_JANITOR_REGION },
    );
    expect(tokenRes.status).toBe(201);
    const list = await fetch(`${env.TASK_JANITOR_ENDPOINT_DCS}/v2/${env.TASK_JANITOR_PROJECT_ID}/instances`, {
      headers: { 'X-Auth-Token': tokenRes.headers.get('x-subject-token') ?? '' },
    });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { instance_num: number }).instance_num).toBeGreaterThan(0);
    const running = child;
    const done = exitCode(running);
    stopGroup(running);
    expect(await done).toBe(0);
    await expect(fetch(`${env.TASK_JANITOR_ENDPOINT_IAM}/v3/projects`)).rejects.toThrow();
  });

  it.each([
    [['--tasks', '-3']],
    [['--bogus']],
    [['--seed', 'abc']],
    [['--regions', 'cn-north-4,North']],
    [['--regions', 'cn-north-4,']],
    [['--projects-per-region', '2']],
    [['--regions', 'cn-north-4', '--projects-per-region', '0']],
  ])('rejects bad flags %j with exit 2', async (args) => {
    child = run(args);
    expect(await exitCode(child)).toBe(2);
  });
});

/** Reads `export NAME=value` lines (not the `#` commented ones) until `done` holds for what was printed. */
function exportedEnv(
  proc: ChildProcess,
  done: (printed: string) => boolean,
): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (done(out)) {
        resolve(
          Object.fromEntries([...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? ''])),
        );
      }
    });
    proc.once('exit', (code) => reject(new Error(`exited ${code} after printing:\n${out}`)));
  });
}

async function isServing(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/v3/projects`);
    return true;
  } catch {
    return false;
  }
}

describe('npm run emulator', () => {
  let npm: ChildProcess | undefined;
  afterEach(() => {
    // Its own process group (detached): whatever npm left behind is ended with it.
    if (npm?.pid !== undefined) {
      try {
        process.kill(-npm.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    npm = undefined;
  });

  it('stops serving when npm is sent SIGTERM', async () => {
    npm = spawn('npm', ['run', '--silent', 'emulator', '--', '--tasks', '10'], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const env = await exportedEnv(npm, (out) => /^export OS_DOMAIN_NAME=.*\n/m.test(out));
    const iam = env.TASK_JANITOR_ENDPOINT_IAM ?? '';
    expect(await isServing(iam)).toBe(true);

    npm.kill('SIGTERM');

    const startMs = Date.now();
    while (await isServing(iam)) {
      if (Date.now() - startMs > 20_000) throw new Error('the emulator still serves 20 s after SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);
});

describe('emulator CLI regions', () => {
  it('--regions with --projects-per-region: every region has its endpoint variables, IAM lists every project', async () => {
    child = run([
      '--tasks',
      '5',
      '--regions',
      'cn-north-4,ap-southeast-3',
      '--projects-per-region',
      '2',
      '--exit-on-stdin-end',
    ]);
    const env = await exportedEnv(child, (out) => /^export OS_DOMAIN_NAME=.*\n/m.test(out));
    for (const host of ['IAM', 'DCS', 'MODELARTS', 'OMS', 'DIS', 'SMS']) {
      expect(env[`TASK_JANITOR_ENDPOINT_${host}_CN_NORTH_4`]).toBe(env[`TASK_JANITOR_ENDPOINT_${host}`]);
      expect(env[`TASK_JANITOR_ENDPOINT_${host}_AP_SOUTHEAST_3`]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(env.TASK_JANITOR_ENDPOINT_DCS_AP_SOUTHEAST_3).not.toBe(env.TASK_JANITOR_ENDPOINT_DCS);
    const token = await requestPasswordToken(
      env.TASK_JANITOR_ENDPOINT_IAM_AP_SOUTHEAST_3,
      { userName: env.OS_USERNAME, password: env.OS_PASSWORD, domainName: env.OS_DOMAIN_NAME },
      { name: 'ap-southeast-3_p2' },
    );
    expect(token.status).toBe(201);
    const listed = await fetch(`${env.TASK_JANITOR_ENDPOINT_IAM}/v3/projects`, {
      headers: { 'X-Auth-Token': token.headers.get('x-subject-token') ?? '' },
    });
    const names = ((await listed.json()) as { projects: { name: string }[] }).projects.map((p) => p.name);
    expect(names).toEqual(['cn-north-4', 'cn-north-4_p2', 'ap-southeast-3', 'ap-southeast-3_p2', 'MOS']);
  }, 60_000);
});

describe('emulator CLI credentials', () => {
  it('prints the AK/SK: commented out next to the password by default, exported with --credentials aksk', async () => {
    child = run(['--tasks', '0', '--exit-on-stdin-end']);
    let printed = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
    });
    const byDefault = await exportedEnv(child, (out) => /^#\s+export HUAWEICLOUD_SDK_SK=.*\n/m.test(out));
    expect(byDefault).toHaveProperty('OS_PASSWORD');
    expect(byDefault).not.toHaveProperty('HUAWEICLOUD_SDK_AK');
    expect(printed).toMatch(/^#\s+export HUAWEICLOUD_SDK_AK=\S+$/m);
    const first = child;
    const done = exitCode(first);
    stopGroup(first);
    await done;

    child = run(['--tasks', '0', '--credentials', 'aksk', '--exit-on-stdin-end']);
    const aksk = await exportedEnv(child, (out) => /^#\s+export OS_DOMAIN_NAME=.*\n/m.test(out));
    expect(aksk).not.toHaveProperty('OS_PASSWORD');
    const { HUAWEICLOUD_SDK_AK: ak = '', HUAWEICLOUD_SDK_SK: sk = '' } = aksk;
    // The exported pair signs requests the emulator accepts: a whole dry run through the CLI.
    const purge = await runCli(['purge', '--json'], {
      ...aksk,
      TASK_JANITOR_POLICY: 'version: 1\nservices: { oms-migration-tasks: { olderThan: 30d } }',
    });
    expect(purge.code, purge.stderr).toBe(0);
    expect(ak).not.toBe('');
    expect(sk).not.toBe('');
  }, 60_000);

  it('rejects an unknown --credentials kind with exit 2', async () => {
    child = run(['--credentials', 'token']);
    expect(await exitCode(child)).toBe(2);
  });
});
