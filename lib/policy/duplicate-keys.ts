/**
 * Duplicate keys in the texts the tool parses itself (policies, plan files, FunctionGraph's `user_event`).
 * `JSON.parse` keeps the last of two equal keys without a word, so `"dryRun": true, "dryRun": false` would
 * silently mean `false`; js-yaml refuses them but names only a line and column. These helpers name the key's
 * path too.
 */
import { EVENT_ID, type Event, getScalarValue, parseEvents } from 'js-yaml';
import { formatPath } from './issues';

export type KeyPath = readonly (string | number)[];

/** A key that repeats an earlier key of the same object. Line and column are 1-based. */
export interface DuplicateKey {
  readonly path: KeyPath;
  readonly line: number;
  readonly column: number;
}

/** `services.oms-migration-tasks.exclude: duplicate key (line 3, column 5 of policy.json)` */
export function describeDuplicateKey(duplicate: DuplicateKey, filename?: string): string {
  const where = `line ${duplicate.line}, column ${duplicate.column}${filename ? ` of ${filename}` : ''}`;
  return `${formatPath(duplicate.path)}: duplicate key (${where})`;
}

type JsonFrame =
  | { readonly kind: 'object'; readonly keys: Set<string>; key: string; atKey: boolean }
  | { readonly kind: 'array'; index: number };

/** Index just past the closing quote of the JSON string that opens at `start`. */
function endOfJsonString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i + 1;
    else i += 1;
  }
  return i;
}

/**
 * Every key of JSON `text` that repeats an earlier key of the same object, in document order. Keys are
 * compared decoded (`"a"` and `"\u0061"` are the same key, as for `JSON.parse`). `text` must be valid JSON
 * (`JSON.parse` accepted it): the scan only follows strings, nesting, `:` and `,`. Iterative, so nesting depth
 * cannot overflow the stack.
 */
export function findDuplicateJsonKeys(text: string): DuplicateKey[] {
  const duplicates: DuplicateKey[] = [];
  const frames: JsonFrame[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const top = frames.at(-1);
    switch (c) {
      case '\n':
        line += 1;
        lineStart = i + 1;
        break;
      case '\r':
        if (text[i + 1] !== '\n') {
          line += 1;
          lineStart = i + 1;
        }
        break;
      case '{':
        frames.push({ kind: 'object', keys: new Set(), key: '', atKey: true });
        break;
      case '[':
        frames.push({ kind: 'array', index: 0 });
        break;
      case '}':
      case ']':
        frames.pop();
        break;
      case ',':
        if (top?.kind === 'array') top.index += 1;
        else if (top?.kind === 'object') top.atKey = true;
        break;
      case ':':
        if (top?.kind === 'object') top.atKey = false;
        break;
      case '"': {
        const end = endOfJsonString(text, i);
        if (top?.kind === 'object' && top.atKey) {
          const raw = text.slice(i + 1, end - 1);
          const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
          top.key = key;
          if (top.keys.has(key)) {
            const path = frames.map((frame) => (frame.kind === 'object' ? frame.key : frame.index));
            duplicates.push({ path, line, column: i - lineStart + 1 });
          }
          top.keys.add(key);
        }
        i = end;
        continue;
      }
    }
    i += 1;
  }
  return duplicates;
}

type YamlFrame =
  | { readonly kind: 'document' }
  | { readonly kind: 'sequence'; index: number }
  | { readonly kind: 'mapping'; key: string; atKey: boolean };

const NO_RANGE = -1;

/** Where js-yaml reports a node (its tag, else its anchor, else its value). */
function yamlEventPosition(event: Event): number {
  if ('tagStart' in event && event.tagStart !== NO_RANGE) return event.tagStart;
  if ('anchorStart' in event && event.anchorStart !== NO_RANGE) return event.anchorStart;
  if ('valueStart' in event && event.valueStart !== NO_RANGE) return event.valueStart;
  if ('start' in event) return event.start;
  return NO_RANGE;
}

function completeYamlNode(frame: YamlFrame | undefined): void {
  if (frame?.kind === 'sequence') frame.index += 1;
  else if (frame?.kind === 'mapping') frame.atKey = !frame.atKey;
}

/**
 * The path of the mapping key that js-yaml reports at `position` of YAML `text` (a `duplicated mapping key`
 * error's mark), or undefined when no key starts there or the text does not parse.
 */
export function findYamlKeyPath(text: string, position: number): KeyPath | undefined {
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return undefined;
  }
  const frames: YamlFrame[] = [];
  for (const event of events) {
    if (event.type === EVENT_ID.DOCUMENT) {
      frames.push({ kind: 'document' });
      continue;
    }
    if (event.type === EVENT_ID.POP) {
      frames.pop();
      completeYamlNode(frames.at(-1));
      continue;
    }
    const parent = frames.at(-1);
    if (parent?.kind === 'mapping' && parent.atKey) {
      parent.key =
        event.type === EVENT_ID.SCALAR
          ? getScalarValue(text, event)
          : event.type === EVENT_ID.ALIAS
            ? `*${text.slice(event.anchorStart, event.anchorEnd)}`
            : '?';
      if (yamlEventPosition(event) === position) {
        return frames.flatMap((frame): (string | number)[] =>
          frame.kind === 'mapping' ? [frame.key] : frame.kind === 'sequence' ? [frame.index] : [],
        );
      }
    }
    if (event.type === EVENT_ID.SEQUENCE) frames.push({ kind: 'sequence', index: 0 });
    else if (event.type === EVENT_ID.MAPPING) frames.push({ kind: 'mapping', key: '', atKey: true });
    else completeYamlNode(parent);
  }
  return undefined;
}
