/**
 * The FunctionGraph artifact end to end: the zip `npm run package:functiongraph` writes is unpacked, its
 * `index.js` (the minified CommonJS bundle, not the TypeScript source) is loaded with `createRequire`, and
 * `handler` is called with the documented TIMER event and a fake FunctionGraph context against the emulator,
 * over real loopback HTTP.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import type {
  FunctionGraphContextLike,
  FunctionGraphHandlerOptions,
} from '../../handlers/functiongraph/index';
import type { Report } from '../../lib/report';
import { SERVICE_IDS } from '../../lib/types';
import { packageFunctionGraph } from '../../scripts/package-functiongraph';
import { getToken } from '../emulator/helpers';
import { reportOf } from '../support/function-result';
import { captureLog, type LogCapture } from '../support/log-capture';
import { FUNCTIONGRAPH_TIMER_EXAMPLE } from '../support/platform-events';
import { leakedSecrets } from '../support/secret-forms';
import { expectedClass, expectedClassOf } from '../support/task-apis';

/** What the bundle exports (its types are the source's; its code is the built one). */
interface BuiltModule {
  handler: (event: unknown, context: FunctionGraphContextLike) => Promise<Report>;
  createHandler: (
    options?: FunctionGraphHandlerOptions,
  ) => (event: unknown, context: FunctionGraphContextLike) => Promise<Report>;
}

type LogLine = Record<string, unknown> & { msg?: string };

/** The documented timer event (FG-NODE fg-events/fg-timer-event/resources/timer_event.json) with our user_event. */
function makeTimerEvent(userEvent: string): Record<string, string> {
  return {
    version: 'v1.0',
    time: '2023-06-01T08:30:00+08:00',
    trigger_type: 'TIMER',
    trigger_name: 'Timer_001',
    user_event: userEvent,
  };
}

interface ContextFixture {
  userData: Record<string, string>;
  token?: string;
  tempAkSk?: { accessKey: string; secretKey: string; securityToken: string };
}

function makeContext({ userData, token = '', tempAkSk }: ContextFixture): FunctionGraphContextLike {
  return Object.freeze({
    getRequestID: () => 'fg-request-1',
    getRemainingTimeInMilliSeconds: () => 60_000,
    getUserData: (key: string) => userData[key],
    getToken: () => token,
    getSecurityAccessKey: () => tempAkSk?.accessKey ?? '',
    getSecuritySecretKey: () => tempAkSk?.secretKey ?? '',
    getSecurityToken: () => tempAkSk?.securityToken ?? '',
  });
}

/** Settings as the Terraform writes them: cloud, region, policy, plus the emulator's endpoints; no credentials. */
function userDataFor(emu: Emulator): Record<string, string> {
  const endpoints = Object.entries(emu.endpointEnv()).filter(([key]) =>
    key.startsWith('TASK_JANITOR_ENDPOINT_'),
  );
  return {
    ...Object.fromEntries(endpoints),
    TASK_JANITOR_CLOUD: 'huaweicloud',
    TASK_JANITOR_REGION: emu.account.region,
    TASK_JANITOR_POLICY: 'examples/policy.yml',
  };
}

/** Reads a stored/deflate zip (EOCD → central directory → local headers), enough for our own writer's output. */
function readZip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let cursor = zip.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(cursor) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = zip.readUInt16LE(cursor + 10);
    const compressedSize = zip.readUInt32LE(cursor + 20);
    const nameLength = zip.readUInt16LE(cursor + 28);
    const extraLength = zip.readUInt16LE(cursor + 30);
    const commentLength = zip.readUInt16LE(cursor + 32);
    const localOffset = zip.readUInt32LE(cursor + 42);
    const name = zip.toString('utf8', cursor + 46, cursor + 46 + nameLength);
    const dataStart =
      localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    cursor += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

let workDir: string;
let built: BuiltModule;
let zipSizeBytes: number;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'task-janitor-fg-'));
  const result = await packageFunctionGraph({ outDir: workDir });
  zipSizeBytes = result.zipSizeBytes;
  const codeDir = path.join(workDir, 'code');
  for (const [name, data] of readZip(await readFile(result.zipPath))) {
    await mkdir(path.dirname(path.join(codeDir, name)), { recursive: true });
    await writeFile(path.join(codeDir, name), data);
  }
  built = createRequire(import.meta.url)(path.join(codeDir, 'index.js')) as BuiltModule;
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('package:functiongraph', () => {
  it('packs one CommonJS index.js exporting handler, next to the packaged policies', async () => {
    const files = readZip(await readFile(path.join(workDir, 'functiongraph.zip')));

    expect([...files.keys()]).toEqual(['index.js', 'examples/policy.yml', 'examples/otc-policy.yml']);
    expect(files.get('examples/policy.yml')?.toString()).toBe(await readFile('examples/policy.yml', 'utf8'));
    expect(typeof built.handler).toBe('function');
    expect(zipSizeBytes).toBeGreaterThan(10_000);
    expect(zipSizeBytes).toBeLessThan(5_000_000);
  });
});

describe('FunctionGraph handler (built index.js) against the emulator', () => {
  let emu: Emulator;
  let logCapture: LogCapture;
  const logLines = () => logCapture.records<LogLine>();
  let handler: BuiltModule['handler'];

  beforeEach(async () => {
    emu = await startEmulator({ seed: 9, tasks: 80 });
    logCapture = captureLog();
    handler = built.createHandler({
      logDestination: logCapture.destination,
      runtimeEnv: { RUNTIME_PROJECT_ID: emu.account.projectId },
    });
  });

  afterEach(async () => {
    await emu.close();
  });

  it('runs the timer event with the agency token, keeps in-progress tasks and returns and logs the report', async () => {
    const agencyToken = await getToken(emu);
    const inProgressBefore = SERVICE_IDS.flatMap((service) =>
      emu
        .tasks(service)
        .filter((task) => expectedClassOf(task) === 'in-progress')
        .map((task) => `${service}/${task.parentId ?? ''}/${task.id}`),
    );
    emu.clearRequestLog();

    const report = reportOf(
      await handler(
        makeTimerEvent('{"dryRun": false}'),
        makeContext({ userData: userDataFor(emu), token: agencyToken }),
      ),
    );

    const log = emu.requestLog();
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((entry) => entry.auth === 'token')).toBe(true);
    // No token was minted and no project looked up: the agency token and RUNTIME_PROJECT_ID were used.
    expect(log.filter((entry) => entry.service === 'iam')).toEqual([]);
    expect(report).toMatchObject({ dryRun: false });
    expect(report.totals.deleted).toBeGreaterThan(0);
    expect(report.totals.deleted).toBe(emu.deletions().length);
    for (const deletion of emu.deletions()) {
      expect(expectedClass(deletion.service, deletion.state, deletion.sourceServer)).toBe('deletable');
    }
    const remaining = new Set(
      SERVICE_IDS.flatMap((service) =>
        emu.tasks(service).map((task) => `${service}/${task.parentId ?? ''}/${task.id}`),
      ),
    );
    expect(inProgressBefore.length).toBeGreaterThan(0);
    expect(inProgressBefore.filter((key) => !remaining.has(key))).toEqual([]);
    const reportLine = logLines().findLast((line) => line.msg === 'purge report');
    expect(reportLine).toMatchObject({ requestId: 'fg-request-1', credentialSource: 'agency-token' });
    expect(reportLine?.report).toEqual(JSON.parse(JSON.stringify(report)));
    expect(JSON.stringify(logLines())).not.toContain(agencyToken);
  });

  it('asks the agency for its token again when the cloud says it expired', async () => {
    let clockMs = Date.parse('2025-01-01T00:00:00Z');
    const clockedEmu = await startEmulator({ seed: 9, tasks: 20, tokenTtlSeconds: 60, nowMs: () => clockMs });
    try {
      const staleToken = await getToken(clockedEmu);
      clockMs += 120_000;
      const freshToken = await getToken(clockedEmu);
      clockedEmu.clearRequestLog();
      // The first two reads (choosing the credentials, the first request) still see the old token.
      let reads = 0;
      const context = {
        ...makeContext({ userData: userDataFor(clockedEmu) }),
        getToken: () => (++reads <= 2 ? staleToken : freshToken),
      };

      const report = await built
        .createHandler({
          logDestination: { write: () => undefined },
          runtimeEnv: { RUNTIME_PROJECT_ID: clockedEmu.account.projectId },
        })
        .call(undefined, makeTimerEvent(''), context);

      const failures = clockedEmu.requestLog().filter((entry) => entry.status >= 400);
      expect(failures.map((entry) => [entry.status, entry.errorCode])).toEqual([[401, 'APIG.0307']]);
      expect(report.totals.failedServices).toBe(0);
    } finally {
      await clockedEmu.close();
    }
  });

  it('signs with the temporary AK/SK and security token', async () => {
    const { tempAccessKey, tempSecretKey, securityToken } = emu.account;

    const report = reportOf(
      await handler(
        makeTimerEvent(''),
        makeContext({
          userData: userDataFor(emu),
          tempAkSk: { accessKey: tempAccessKey, secretKey: tempSecretKey, securityToken },
        }),
      ),
    );

    const log = emu.requestLog();
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((entry) => entry.auth === 'aksk' && entry.status < 400)).toBe(true);
    expect(report.dryRun).toBe(true);
    expect(emu.deletions()).toEqual([]);
    expect(logLines().find((line) => line.msg === 'purge report')).toMatchObject({
      credentialSource: 'agency-aksk',
    });
  });

  it("with both, signs with the agency's temporary AK/SK (which reach every project), not its one-project token", async () => {
    const { tempAccessKey, tempSecretKey, securityToken } = emu.account;
    const agencyToken = await getToken(emu);
    emu.clearRequestLog();

    await handler(
      makeTimerEvent(''),
      makeContext({
        userData: userDataFor(emu),
        token: agencyToken,
        tempAkSk: { accessKey: tempAccessKey, secretKey: tempSecretKey, securityToken },
      }),
    );

    const log = emu.requestLog();
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((entry) => entry.auth === 'aksk')).toBe(true);
    expect(logLines().find((line) => line.msg === 'purge report')).toMatchObject({
      credentialSource: 'agency-aksk',
    });
  });

  it('prefers explicit credentials in the user data over the agency', async () => {
    const agencyToken = await getToken(emu);
    emu.clearRequestLog();
    const { OS_USERNAME = '', OS_PASSWORD = '', OS_DOMAIN_NAME = '' } = emu.endpointEnv();

    await handler(
      makeTimerEvent('   '),
      makeContext({
        userData: { ...userDataFor(emu), OS_USERNAME, OS_PASSWORD, OS_DOMAIN_NAME },
        token: agencyToken,
      }),
    );

    expect(emu.requestLog().some((entry) => entry.operation === 'CreateToken')).toBe(true);
    expect(logLines().find((line) => line.msg === 'purge report')).toMatchObject({
      credentialSource: 'user-data',
    });
  });

  it('an incomplete credential in the user data turns the agency off: refused naming it, nothing sent', async () => {
    const agencyToken = await getToken(emu);
    emu.clearRequestLog();

    await expect(
      handler(
        makeTimerEvent(''),
        makeContext({ userData: { ...userDataFor(emu), OS_USERNAME: 'ops' }, token: agencyToken }),
      ),
    ).rejects.toMatchObject({
      problems: ['environment: password credentials are incomplete: missing OS_PASSWORD, OS_DOMAIN_NAME'],
    });
    expect(emu.requestLog()).toEqual([]);
  });

  it('without user-data credentials or an agency: refused, the message says an agency would do', async () => {
    emu.clearRequestLog();

    const run = handler(makeTimerEvent(''), makeContext({ userData: userDataFor(emu) }));

    await expect(run).rejects.toThrow(/no credentials: .*or give the function an agency/);
    expect(emu.requestLog()).toEqual([]);
  });

  it('takes a manual invocation whose body is the manual event', async () => {
    const report = reportOf(
      await handler(
        { dryRun: true, services: ['dis-dump-tasks'] },
        makeContext({ userData: userDataFor(emu), token: await getToken(emu) }),
      ),
    );

    expect(report.policy.services).toEqual(['dis-dump-tasks']);
    expect(report.dryRun).toBe(true);
    expect(emu.deletions()).toEqual([]);
  });

  it.each([
    ['text that is not JSON', 'Hello world', 'user_event: expected empty text or a JSON object'],
    ['a JSON array', '[1, 2]', 'user_event: (root): expected a JSON object, got an array'],
    ['an unknown key', '{"dryrun": false}', 'user_event: dryrun: unknown key'],
    ['a bad value', '{"dryRun": "no"}', 'user_event: dryRun'],
    // JSON.parse would keep the last one: an applied run from a text that also says dry run.
    [
      'a duplicate key',
      '{"dryRun": true, "dryRun": false}',
      'user_event: dryRun: duplicate key (line 1, column 18)',
    ],
  ])('refuses a user_event holding %s, sending nothing', async (_label, userEvent, expected) => {
    const token = await getToken(emu);
    emu.clearRequestLog();

    const run = handler(makeTimerEvent(userEvent), makeContext({ userData: userDataFor(emu), token }));

    await expect(run).rejects.toMatchObject({ name: 'ConfigError' });
    const error = (await run.catch((e: unknown) => e)) as { problems: string[] };
    expect(error.problems.some((problem) => problem.startsWith(`event: ${expected}`))).toBe(true);
    expect(emu.requestLog()).toEqual([]);
    expect(logLines().find((line) => line.msg === 'invalid input, nothing sent')).toBeDefined();
  });

  it('honours manual keys beside the TIMER fields: dryRun true and one service, nothing deleted', async () => {
    const appliedPolicy = JSON.stringify({
      version: 1,
      dryRun: false,
      services: { 'dis-dump-tasks': { olderThan: '1d' }, 'oms-migration-tasks': { olderThan: '1d' } },
    });

    const report = reportOf(
      await handler(
        { ...makeTimerEvent(''), dryRun: true, services: ['dis-dump-tasks'] },
        makeContext({
          userData: { ...userDataFor(emu), TASK_JANITOR_POLICY: appliedPolicy },
          token: await getToken(emu),
        }),
      ),
    );

    expect(report.dryRun).toBe(true);
    expect(report.policy.services).toEqual(['dis-dump-tasks']);
    expect(report.totals.wouldDelete).toBeGreaterThan(0);
    expect(emu.deletions()).toEqual([]);
  });

  it.each([
    [
      'manual keys both beside the TIMER fields and in user_event',
      { ...makeTimerEvent('{"dryRun": false}'), services: ['dis-dump-tasks'] },
      'services: given next to the TIMER fields while user_event holds a manual event too (dryRun)',
    ],
    [
      'an unknown key beside the TIMER fields',
      { ...makeTimerEvent(''), dryRun: true, force: true },
      'force: unknown key; expected dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate next to the fields of a TIMER event',
    ],
    [
      'a manual key of the wrong type beside the TIMER fields',
      { ...makeTimerEvent(''), dryRun: 'true' },
      'dryRun: expected boolean, got string',
    ],
    [
      'the TIMER marker alone with a manual key',
      { trigger_type: 'TIMER', dryRun: false },
      'version: is required (expected string)',
    ],
    [
      'the documented timer example with a manual key beside it',
      { ...FUNCTIONGRAPH_TIMER_EXAMPLE, dryRun: true },
      'user_event: message: unknown key',
    ],
  ])('refuses a TIMER event with %s, sending nothing', async (_label, event, expected) => {
    const token = await getToken(emu);
    emu.clearRequestLog();

    const run = handler(event, makeContext({ userData: userDataFor(emu), token }));

    await expect(run).rejects.toMatchObject({ name: 'ConfigError' });
    const error = (await run.catch((e: unknown) => e)) as { problems: string[] };
    expect(error.problems.some((problem) => problem.startsWith(`event: ${expected}`))).toBe(true);
    expect(emu.requestLog()).toEqual([]);
    expect(logLines().find((line) => line.msg === 'invalid input, nothing sent')).toBeDefined();
  });

  it('quotes a user_event that is not JSON without the query of a URL in it', async () => {
    const token = await getToken(emu);

    const run = handler(
      makeTimerEvent('run https://hooks.example.com/x?token=tok-S3CRET-fg'),
      makeContext({ userData: userDataFor(emu), token }),
    );

    const error = (await run.catch((e: unknown) => e)) as { problems: string[] };
    expect(error.problems.join('\n')).toContain('https://hooks.example.com/x');
    const text = [...error.problems, ...logLines().map((line) => JSON.stringify(line))].join('\n');
    expect(leakedSecrets(text, ['tok-S3CRET-fg'])).toEqual([]);
  });

  it('exports the platform entry point `handler`, which refuses a malformed user_event before any request', async () => {
    const token = await getToken(emu);
    emu.clearRequestLog();

    const run = built.handler(
      makeTimerEvent('Hello world'),
      makeContext({ userData: userDataFor(emu), token }),
    );

    await expect(run).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('user_event'),
    });
    expect(emu.requestLog()).toEqual([]);
  });
});
