import { describe, expect, it } from 'vitest';
import { createLogger, redactSecrets } from '../lib/logger';
import { captureLog } from './support/log-capture';

describe('createLogger redaction', () => {
  it('censors secret keys at the top level and one and two levels deep', () => {
    const out = captureLog();
    const log = createLogger({ destination: out.destination });
    log.info(
      { password: 'p', a: { token: 't', b: { 'X-Auth-Token': 'x', keep: 1 } }, list: [{ sk: 's' }] },
      'm',
    );
    const [line] = out.records();
    expect(line).toMatchObject({
      password: '[REDACTED]',
      a: { token: '[REDACTED]', b: { 'X-Auth-Token': '[REDACTED]', keep: 1 } },
      list: [{ sk: '[REDACTED]' }],
      msg: 'm',
    });
  });

  it('censors child bindings and base fields', () => {
    const out = captureLog();
    const log = createLogger({ destination: out.destination, base: { requestId: 'r', secretKey: 'k' } });
    log.child({ authorization: 'a', service: 'oms' }).info({ n: 1 });
    expect(out.records()[0]).toMatchObject({
      requestId: 'r',
      secretKey: '[REDACTED]',
      authorization: '[REDACTED]',
      service: 'oms',
      n: 1,
    });
  });

  it('returns the same object when nothing is secret, and never mutates the caller’s object', () => {
    const clean = { service: 'oms', nested: { id: '1' } };
    expect(redactSecrets(clean)).toBe(clean);
    const secret = { nested: { password: 'p' } };
    const redacted = redactSecrets(secret) as { nested: { password: string } };
    expect(redacted.nested.password).toBe('[REDACTED]');
    expect(secret.nested.password).toBe('p');
  });
});
