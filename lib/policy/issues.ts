/**
 * Turns zod issues into this project's problem lines: `path: what was expected, got what`.
 * Shared by the policy, manual-event and saved-plan parsers so every ConfigError reads the same.
 */
import { type ZodIssue, ZodIssueCode } from 'zod';

/** `services.dis-dump-tasks.states[1]`; the root is `(root)`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    // A key that could be misread (spaces, dots, colons, empty) is quoted.
    else if (!/^[A-Za-z0-9_-]+$/.test(segment)) out += `[${JSON.stringify(segment)}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out === '' ? '(root)' : out;
}

/** A short description of a received value's type, for messages (`got string`). */
export function describeType(type: string): string {
  return type === 'undefined' ? 'nothing (the key is missing)' : type;
}

function describeIssue(issue: ZodIssue): string {
  switch (issue.code) {
    case ZodIssueCode.invalid_type:
      if (issue.received === 'undefined') return `is required (expected ${issue.expected})`;
      if (issue.expected === 'integer') return `expected an integer, got ${issue.received}`;
      return `expected ${issue.expected}, got ${describeType(issue.received)}`;
    case ZodIssueCode.invalid_literal:
      return `expected ${JSON.stringify(issue.expected)}, got ${JSON.stringify(issue.received) ?? 'nothing'}`;
    case ZodIssueCode.too_small:
      if (issue.type === 'array') return `expected at least ${String(issue.minimum)} item(s)`;
      if (issue.type === 'string') return 'expected a non-empty string';
      return `expected a number ≥ ${String(issue.minimum)}`;
    case ZodIssueCode.too_big:
      return `expected a number ≤ ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

/**
 * One problem line per issue. `unrecognized_keys` becomes one line per key, so `services.foo: unknown key`
 * points at the key itself; `unknownKey` may phrase it for a given parent path.
 */
export function formatIssues(
  issues: readonly ZodIssue[],
  unknownKey: (parentPath: readonly (string | number)[], key: string) => string = () => 'unknown key',
): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    if (issue.code === ZodIssueCode.unrecognized_keys) {
      for (const key of issue.keys) {
        problems.push(`${formatPath([...issue.path, key])}: ${unknownKey(issue.path, key)}`);
      }
    } else if (issue.code === ZodIssueCode.invalid_union) {
      // Report the branch that got furthest rather than zod's generic "Invalid input".
      const branches = issue.unionErrors.map((e) => e.issues);
      const best = branches.reduce((a, b) => (b.length < a.length ? b : a), branches[0] ?? []);
      problems.push(
        ...formatIssues(best.length > 0 ? best : [{ ...issue, code: ZodIssueCode.custom }], unknownKey),
      );
    } else {
      problems.push(`${formatPath(issue.path)}: ${describeIssue(issue)}`);
    }
  }
  return problems;
}
