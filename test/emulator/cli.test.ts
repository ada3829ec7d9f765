import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
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

  it.each([[['--tasks', '-3']], [['--bogus']], [['--seed', 'abc']]])(
    'rejects bad flags %j with exit 2',
    async (args) => {
      child = run(args);
      expect(await exitCode(child)).toBe(2);
    },
  );
});
