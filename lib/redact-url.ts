/**
 * URLs as they may be quoted in a message, a log line or a report: without userinfo, query or fragment, where
 * passwords, tokens and presigned signatures travel. Textual on purpose: the value to quote is often one that
 * failed to parse (a stray space, a bad port), and a parser's idea of where the userinfo ends is not the
 * operator's (`https://user:p?ss@host` parses with host `user`).
 */

/** A scheme followed by at least one slash: what is kept in front of the host. */
const SCHEME_WITH_SLASHES = /^[A-Za-z][A-Za-z0-9+.-]*:[\\/]+/;

/**
 * `raw` (one URL, possibly malformed) cut down to scheme, host, port and path. Everything up to the last `@`
 * is userinfo (a password may hold `/`, `?`, `#` or `@`), then everything from the first `?` or `#` is
 * dropped (a `file:` URL keeps its `@`s). Over-redacts a path or query holding `@`, which is harmless in a
 * message.
 * @example redactUrl('https://admin:pa ss@host:99999/x?token=t') // 'https://host:99999/x'
 */
export function redactUrl(raw: string): string {
  let text = raw.trim();
  const at = text.lastIndexOf('@');
  // A file URL has no userinfo, and a stack trace's `file:///…/node_modules/@scope/…` must stay readable.
  if (at !== -1 && !/^file:/i.test(text)) {
    const scheme = SCHEME_WITH_SLASHES.exec(text)?.[0];
    // Without `scheme://` in front, everything before the `@` may be a user name (`user:pw@host`).
    const kept = scheme !== undefined && scheme.length <= at ? scheme : '';
    text = `${kept}${text.slice(at + 1)}`;
  }
  const end = text.search(/[?#]/);
  return end === -1 ? text : text.slice(0, end);
}

/** Every `scheme://…` run in free text (an error message, a file path that is a URL) passed through `redactUrl`. */
export function redactUrlsInText(text: string): string {
  return text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'`<>]*/g, (url) => redactUrl(url));
}
