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

/** RFC 3986 segment encoding: everything but unreserved characters is escaped; `.` and `..` are escaped too. */
export function encodePathSegment(segment: string): string {
  if (segment === '' ) throw new TypeError('an API path segment must not be empty');
  const encoded = encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  // "." and ".." are unreserved, but a URL parser would resolve them as dot-segments.
  if (encoded === '.' || encoded === '..') return encoded.replace(/\./g, '%2E');
  return encoded;
}
