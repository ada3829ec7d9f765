/**
 * No credential leaks: a full purge with each credential kind, through 5xx, throttling and (for
 * tokens) expiry, then every log line, the report and any thrown error are scanned for each secret value, its
 * base64 forms, every token the emulator received and every request signature it received.
 * (test/cloud/client-emulator.test.ts scans the client alone; this goes through invokePurge and the report.)
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { lambdaPlatform } from '../../handlers/aws/purge';
import { SERVICE_IDS } from '../../lib/types';
import { runInvocation } from '../support/emulator-run';
import { mintToken } from '../support/iam-token';

const POLICY = {
  version: 1,
  dryRun: false,
  services: Object.fromEntries(SERVICE_IDS.map((id) => [id, { olderThan: '7d' }])),
};

function variants(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [
    secret,
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    encodeURIComponent(secret),
  ];
}

describe('secrets never reach the logs or the report', () => {
  // Each credential kind purges a fresh account of its own, so every run lists and deletes as much as the first.
  let emulator: Emulator;
  // Tokens expire on the server once this many requests of the run have arrived (counted, not timed: on a busy
  // machine a timer fired before the first listing had answered, and the run ended after six requests).
  let expireAfterRequests = Number.POSITIVE_INFINITY;
  let staticToken = '';
  beforeEach(async () => {
    const skewMs = () =>
      emulator !== undefined && emulator.requestLog().length >= expireAfterRequests ? 2 * 86_400_000 : 0;
    expireAfterRequests = Number.POSITIVE_INFINITY;
    emulator = await startEmulator({ seed: 7, tasks: 120, nowMs: () => Date.now() + skewMs() });
    staticToken = await mintToken(emulator);
  });
  afterEach(async () => {
    await emulator?.close();
  });

  const kinds = ['aksk', 'aksk-temporary', 'password', 'token'] as const;
  it.each(kinds)('a full purge with %s credentials leaks none', async (kind) => {
    const { account } = emulator;
    const credentials: Record<string, string | undefined> = {
      OS_USERNAME: undefined,
      OS_PASSWORD: undefined,
      OS_DOMAIN_NAME: undefined,
      ...(kind === 'password' ? { OS_USERNAME: account.userName, OS_PASSWORD: account.password } : {}),
      ...(kind === 'password'
        ? { OS_DOMAIN_NAME: account.domainName, TASK_JANITOR_PROJECT_ID: undefined }
        : {}),
      ...(kind === 'aksk'
        ? { HUAWEICLOUD_SDK_AK: account.accessKey, HUAWEICLOUD_SDK_SK: account.secretKey }
        : {}),
      ...(kind === 'aksk-temporary'
        ? {
            HUAWEICLOUD_SDK_AK: account.tempAccessKey,
            HUAWEICLOUD_SDK_SK: account.tempSecretKey,
            HUAWEICLOUD_SDK_SECURITY_TOKEN: account.securityToken,
          }
        : {}),
      ...(kind === 'token' ? { TASK_JANITOR_AUTH_TOKEN: staticToken } : {}),
    };
    emulator.clearRequestLog();
    emulator.setFaults({ service: '*' }, { serverErrorShare: 0.15, throttleShare: 0.02 });
    // And one certain 5xx with its error payload, whatever the draws: the OMS listing answers 503 until it gives up.
    emulator.setFaults({ service: 'oms', operation: 'ListMigrationTasks' }, { outage: true });
    // Password tokens expire on the server mid-run: the client mints another (and a static one is refused).
    if (kind === 'password' || kind === 'token') expireAfterRequests = 40;
    const run = await runInvocation(emulator, {
      policy: POLICY,
      platform: lambdaPlatform({ functionName: 'task-janitor-test' }),
      env: { ...credentials, TASK_JANITOR_LOG_LEVEL: 'debug' },
    });
    emulator.clearFaults();

    const received = emulator.receivedAuthHeaders();
    const secrets = new Set<string>([account.password, account.secretKey, account.tempSecretKey]);
    secrets.add(account.securityToken);
    secrets.add(staticToken);
    for (const headers of received) {
      if (headers.xAuthToken) secrets.add(headers.xAuthToken);
      if (headers.xSecurityToken) secrets.add(headers.xSecurityToken);
      if (headers.authorization) {
        secrets.add(headers.authorization);
        const signature = /Signature=([0-9a-f]+)/.exec(headers.authorization)?.[1];
        if (signature) secrets.add(signature);
      }
    }
    // The run really authenticated, failed and retried: the scan is over a non-trivial log.
    expect(received.length).toBeGreaterThan(40);
    expect(run.report).toBeDefined();
    expect(run.logs.some((l) => typeof l.status === 'number' && l.status >= 500)).toBe(true);
    if (kind.startsWith('aksk'))
      expect(received.some((h) => h.authorization?.includes('Signature='))).toBe(true);
    else expect(received.some((h) => h.xAuthToken !== undefined)).toBe(true);

    const corpus = [
      run.lines.join(''),
      JSON.stringify(run.report),
      run.thrown === undefined ? '' : `${String(run.thrown)}\n${inspect(run.thrown, { depth: 8 })}`,
    ].join('\n');
    for (const secret of secrets) {
      for (const form of variants(secret))
        expect(corpus.includes(form), `leaked a form of ${secret.slice(0, 8)}…`).toBe(false);
    }
    expect(corpus).not.toMatch(/SDK-HMAC-SHA256|X-Auth-Token|X-Security-Token|"authorization"/i);
  });
});
