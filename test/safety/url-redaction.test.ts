/**
 * No URL in a message, a log line or a thrown error carries userinfo, a query or a fragment: endpoint values
 * that fail validation (even ones that do not parse), and request URLs quoted by a transport error's cause.
 * The CLI's stderr is checked in test/cli/cli.test.ts.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { loadConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { redactUrl, redactUrlsInText } from '../../lib/redact-url';
import { runInvocation } from '../support/emulator-run';
import { LEAKY_ENDPOINTS, leakedSecrets } from '../support/secret-forms';

describe('redactUrl', () => {
  it.each([
    ['https://dcs.eu-de.otc.t-systems.com', 'https://dcs.eu-de.otc.t-systems.com'],
    ['http://127.0.0.1:8080/base/', 'http://127.0.0.1:8080/base/'],
    ['https://u:p@host:99999/x?token=t#f', 'https://host:99999/x'],
    ['https://u:p a@ho st/x', 'https://ho st/x'],
    ['https://u:p?q#r@host/x', 'https://host/x'],
    ['https://u:p@x@host', 'https://host'],
    ['u:p@host:443', 'host:443'],
    ['https:\\\\u:p@host', 'https:\\\\host'],
    ['https://host/x#frag', 'https://host/x'],
    ['  https://host/?a=1  ', 'https://host/'],
    ['not a url', 'not a url'],
    ['file:///app/node_modules/@scope/pkg/x.js?v=1', 'file:///app/node_modules/@scope/pkg/x.js'],
  ])('%j → %j', (raw, expected) => {
    expect(redactUrl(raw)).toBe(expected);
  });

  it('cuts every URL in free text and leaves the rest alone', () => {
    expect(
      redactUrlsInText(
        "request to http://127.0.0.1:1/v2/p/streams?limit=100 failed; open 'https://b.example.com/p.yml?X-Amz-Signature=s' (a@b?)",
      ),
    ).toBe("request to http://127.0.0.1:1/v2/p/streams failed; open 'https://b.example.com/p.yml' (a@b?)");
  });
});

describe('endpoint values never quote their secrets', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ seed: 3, tasks: 0 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it.each(LEAKY_ENDPOINTS)('loadConfig: $label', ({ value, secrets }) => {
    let thrown: unknown;
    try {
      loadConfig({
        TASK_JANITOR_REGION: 'eu-de',
        TASK_JANITOR_AUTH_TOKEN: 'x',
        TASK_JANITOR_ENDPOINT_OMS: value,
      });
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.problems).toEqual([expect.stringMatching(/^TASK_JANITOR_ENDPOINT_OMS /)]);
    const text = [error.message, ...error.problems, inspect(error, { depth: 5 })].join('\n');
    expect(leakedSecrets(text, secrets)).toEqual([]);
  });

  it.each(LEAKY_ENDPOINTS)(
    'the invocation’s error log line and thrown error: $label',
    async ({ value, secrets }) => {
      emulator.clearRequestLog();

      const run = await runInvocation(emulator, {
        policy: { version: 1, services: { 'oms-migration-tasks': { olderThan: '7d' } } },
        env: { TASK_JANITOR_ENDPOINT_OMS: value },
      });

      expect(run.thrown).toBeInstanceOf(ConfigError);
      const line = run.logs.find((l) => l.msg === 'invalid input, nothing sent');
      expect(JSON.stringify(line)).toContain('TASK_JANITOR_ENDPOINT_OMS');
      const text = [...run.lines, inspect(run.thrown, { depth: 5 })].join('\n');
      expect(leakedSecrets(text, secrets)).toEqual([]);
      expect(emulator.requestLog()).toEqual([]);
    },
  );
});

describe('request URLs in log lines', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ seed: 4, tasks: 0 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('a transport error names the host and path it failed on, without the query', async () => {
    // Nothing listens on port 1: every DIS call fails with ECONNREFUSED, whose cause quotes the request URL.
    const run = await runInvocation(emulator, {
      policy: { version: 1, services: { 'dis-dump-tasks': { olderThan: '7d' } } },
      env: { TASK_JANITOR_ENDPOINT_DIS: 'http://127.0.0.1:1', TASK_JANITOR_MAX_ATTEMPTS: '1' },
    });

    expect(run.report?.services['dis-dump-tasks']?.error).toBeDefined();
    const failure = run.logs.find((line) => line.code === 'ECONNREFUSED');
    expect(failure).toMatchObject({ host: '127.0.0.1:1', path: expect.stringMatching(/^\/v2\/[^?#]*$/) });
    const urls = run.lines.join('\n').match(/https?:\/\/[^\s"'\\]*/g) ?? [];
    expect(urls.filter((url) => /[?#@]/.test(url))).toEqual([]);
  });
});
