import { describe, expect, it } from 'vitest';
import { CloudApiError } from '../../lib/errors';
import { MAX_DEFERRED_CALLS, runPool } from '../../lib/sources/paging';

function serverError(status = 503): CloudApiError {
  return new CloudApiError({
    service: 'dis',
    operation: 'ListTransferTasks',
    method: 'GET',
    path: '/v2/p/streams/s/transfer-tasks',
    status,
    errorCode: 'APIG.0201',
    errorMsg: 'Backend unavailable.',
    errorExtMsg: undefined,
    requestId: undefined,
    attempts: 5,
  });
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('runPool later pass', () => {
  it('tries a call that failed retryably once more after the others, and yields every result', async () => {
    const calls: string[] = [];
    let failedOnce = false;
    const pool = runPool(
      ['a', 'b', 'c', 'd'],
      async (input) => {
        calls.push(input);
        if (input === 'b' && !failedOnce) {
          failedOnce = true;
          throw serverError();
        }
        return input.toUpperCase();
      },
      2,
    );
    expect((await collect(pool)).sort()).toEqual(['A', 'B', 'C', 'D']);
    expect(calls).toEqual(['a', 'b', 'c', 'd', 'b']);
  });

  it('throws when the later pass fails again', async () => {
    const boom = serverError(502);
    const pool = runPool(
      ['a', 'b'],
      async (input) => {
        if (input === 'b') throw boom;
        return input;
      },
      2,
    );
    await expect(collect(pool)).rejects.toBe(boom);
  });

  it(`stops after more than ${MAX_DEFERRED_CALLS} retryable failures (a host that is down)`, async () => {
    const calls: number[] = [];
    const inputs = Array.from({ length: 50 }, (_, i) => i);
    const pool = runPool(
      inputs,
      async (input) => {
        calls.push(input);
        throw serverError();
      },
      1,
    );
    await expect(collect(pool)).rejects.toBeInstanceOf(CloudApiError);
    expect(calls).toHaveLength(MAX_DEFERRED_CALLS + 1);
  });

  it('does not defer a failure that is not retryable (a 404)', async () => {
    const calls: string[] = [];
    const pool = runPool(
      ['a', 'b', 'c'],
      async (input) => {
        calls.push(input);
        if (input === 'a') throw serverError(404);
        return input;
      },
      1,
    );
    await expect(collect(pool)).rejects.toMatchObject({ status: 404 });
    expect(calls).toEqual(['a']);
  });
});
