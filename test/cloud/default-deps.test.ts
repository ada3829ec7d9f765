import { describe, expect, it } from 'vitest';
import { createDefaultDeps, sleep } from '../../lib/default-deps';
import { createLogger } from '../../lib/logger';
import { captureLog } from '../support/log-capture';

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const startedMs = performance.now();
    await sleep(30);
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(25);
  });

  it("rejects with the signal's reason when it aborts first, without waiting the delay out", async () => {
    const controller = new AbortController();
    const reason = new Error('deadline');
    setTimeout(() => controller.abort(reason), 20);
    const startedMs = performance.now();

    await expect(sleep(10_000, controller.signal)).rejects.toBe(reason);
    expect(performance.now() - startedMs).toBeLessThan(1_000);
  });

  it('rejects at once on an already aborted signal', async () => {
    const reason = new Error('gone');
    await expect(sleep(10_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});

describe('createDefaultDeps', () => {
  it('builds frozen real deps whose logger writes JSON lines at the level asked for', () => {
    const sink = captureLog();
    const deps = createDefaultDeps({
      logLevel: 'warn',
      destination: sink.destination,
      logBase: { requestId: 'r-1' },
    });

    deps.log.info({ a: 1 }, 'hidden');
    deps.log.warn({ service: 'dcs' }, 'shown');

    expect(Object.isFrozen(deps)).toBe(true);
    expect(deps.now()).toBeInstanceOf(Date);
    expect(deps.random()).toBeGreaterThanOrEqual(0);
    expect(sink.lines).toHaveLength(1);
    expect(sink.records()[0]).toMatchObject({
      level: 'warn',
      service: 'dcs',
      requestId: 'r-1',
      msg: 'shown',
    });
  });
});

describe('createLogger redaction (the second line of defence)', () => {
  it('censors secret-bearing keys at the top level and nested', () => {
    const sink = captureLog();
    const log = createLogger({ level: 'debug', destination: sink.destination });

    log.info({
      authorization: 'SDK-HMAC-SHA256 Access=AK, Signature=abc',
      password: 'pw-1',
      token: 'tok-1',
      headers: { 'x-auth-token': 'tok-2', Authorization: 'auth-2', 'X-Security-Token': 'sts-1' },
      credentials: { sk: 'sk-1' },
      nested: { deeper: { secretKey: 'sk-2', signature: 'sig-1' } },
      service: 'iam',
    });

    const line = sink.lines.join('');
    for (const secret of [
      'Signature=abc',
      'pw-1',
      'tok-1',
      'tok-2',
      'auth-2',
      'sts-1',
      'sk-1',
      'sk-2',
      'sig-1',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(JSON.parse(line)).toMatchObject({ service: 'iam', password: '[REDACTED]' });
  });
});
