import { describe, expect, it } from 'vitest';
import { MAX_ERROR_BODY_BYTES, parseErrorPayload, readBodyCapped } from '../../lib/cloud/error-payload';

describe('parseErrorPayload', () => {
  it.each([
    [
      'DCS',
      '{"error_code":"DCS.4070","error_msg":"Invalid task ID format.","error_ext_msg":null}',
      { errorCode: 'DCS.4070', errorMsg: 'Invalid task ID format.', errorExtMsg: undefined },
    ],
    [
      'ModelArts / OMS',
      '{"error_code":"ModelArts.4700","error_msg":"Task does not exist."}',
      { errorCode: 'ModelArts.4700', errorMsg: 'Task does not exist.', errorExtMsg: undefined },
    ],
    [
      'API gateway',
      '{"error_code":"APIG.0308","error_msg":"The throttling threshold has been reached","request_id":"abc"}',
      {
        errorCode: 'APIG.0308',
        errorMsg: 'The throttling threshold has been reached',
        errorExtMsg: undefined,
      },
    ],
    [
      'DIS',
      '{"errorCode":"DIS.4301","message":"Stream does not exist. [dis-1]"}',
      { errorCode: 'DIS.4301', errorMsg: 'Stream does not exist. [dis-1]', errorExtMsg: undefined },
    ],
    [
      'IAM',
      '{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}',
      {
        errorCode: '401',
        errorMsg: 'The request you have made requires authentication.',
        errorExtMsg: 'Unauthorized',
      },
    ],
    [
      'an error_ext_msg object',
      '{"error_code":"X.1","error_msg":"m","error_ext_msg":{"k":"v"}}',
      { errorCode: 'X.1', errorMsg: 'm', errorExtMsg: '{"k":"v"}' },
    ],
    [
      'HTML from a gateway',
      '<html><head><title>502 Bad Gateway</title><style>b{}</style></head><body><h1>502&nbsp;Bad Gateway</h1></body></html>',
      { errorCode: undefined, errorMsg: '502 Bad Gateway 502 Bad Gateway', errorExtMsg: undefined },
    ],
    [
      'plain text',
      '  upstream connect error  ',
      { errorCode: undefined, errorMsg: 'upstream connect error', errorExtMsg: undefined },
    ],
    ['an empty body', '', { errorCode: undefined, errorMsg: undefined, errorExtMsg: undefined }],
    [
      'a truncated JSON body',
      '{"error_code":"DCS.50',
      { errorCode: undefined, errorMsg: '{"error_code":"DCS.50', errorExtMsg: undefined },
    ],
  ])('parses %s', (_name, body, expected) => {
    expect(parseErrorPayload(body)).toEqual(expected);
  });

  it('clips an overlong message', () => {
    const parsed = parseErrorPayload(JSON.stringify({ error_code: 'X', error_msg: 'm'.repeat(10_000) }));
    expect(parsed.errorMsg?.length).toBeLessThanOrEqual(513);
  });
});

describe('readBodyCapped', () => {
  it('stops reading an unbounded body at 64 KiB', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        produced += 10_000;
        yield new Uint8Array(10_000).fill(0x61);
      }
    }

    const { text, truncated } = await readBodyCapped(endless());

    expect(text.length).toBe(MAX_ERROR_BODY_BYTES);
    expect(truncated).toBe(true);
    expect(produced).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES + 10_000);
  });

  it('reads a small body whole, and a null body as empty', async () => {
    async function* two(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('{"a":');
      yield Buffer.from('1}');
    }
    expect(await readBodyCapped(two())).toEqual({ text: '{"a":1}', truncated: false });
    expect(await readBodyCapped(null)).toEqual({ text: '', truncated: false });
  });
});
