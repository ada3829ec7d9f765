import { describe, expect, it } from 'vitest';
import { apiPath, encodePathSegment } from '../../lib/cloud/api-path';

describe('apiPath', () => {
  it.each([
    ['a/b', 'a%2Fb'],
    ['50%', '50%25'],
    ['what?', 'what%3F'],
    ['#1', '%231'],
    ['two words', 'two%20words'],
    ['Übung', '%C3%9Cbung'],
    ["it's (new)*!", 'it%27s%20%28new%29%2A%21'],
    ['...', '...'],
  ])('encodes %j as the single segment %s', (segment, expected) => {
    expect(encodePathSegment(segment)).toBe(expected);
    expect(apiPath`/v2/${'p'}/tasks/${segment}`).toBe(`/v2/p/tasks/${expected}`);
  });

  it.each(['', '.', '..'])('refuses %j, which URL parsing would resolve as a dot-segment', (segment) => {
    expect(() => apiPath`/v2/p/streams/s/transfer-tasks/${segment}`).toThrow(TypeError);
  });

  it('keeps numbers exact', () => {
    expect(apiPath`/v2/${'p'}/tasks/${'9007199254740993'}`).toBe('/v2/p/tasks/9007199254740993');
  });
});
