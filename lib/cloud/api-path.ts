/**
 * Builds an API path where every interpolated value is one percent-encoded path segment, so that ids and
 * names taken from API responses (`a/b`, `..`, `%`, `?`, `#`, spaces, non-ASCII) can never change the route.
 *
 * @example apiPath`/v2/${projectId}/streams/${streamName}/transfer-tasks/${taskName}`
 */
export function apiPath(strings: TemplateStringsArray, ...segments: ReadonlyArray<string | number>): string {
  let out = strings[0] ?? '';
  segments.forEach((segment, i) => {
    out += encodePathSegment(String(segment)) + (strings[i + 1] ?? '');
  });
  return out;
}

/**
 * RFC 3986 segment encoding: everything but unreserved characters is escaped.
 * Empty, `.` and `..` segments are refused: no encoding of them survives URL parsing (WHATWG URL
 * resolves `%2E%2E` as `..` too), so `DELETE …/streams/s/transfer-tasks/..` would become a DeleteStream.
 */
export function encodePathSegment(segment: string): string {
  if (!isAddressableSegment(segment)) {
    throw new TypeError(`an API path segment must not be empty, "." or "..", got ${JSON.stringify(segment)}`);
  }
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * True when `segment` can be sent as one path segment: not empty, `.` or `..` (see `encodePathSegment`).
 * The planner keeps a task whose id or parent fails this, so a dry run plans only what can be deleted.
 */
export function isAddressableSegment(segment: string): boolean {
  return segment !== '' && segment !== '.' && segment !== '..';
}
