/**
 * Copies of parsed strings that do not keep their page alive. V8 represents a substring of 13 characters or
 * more as a slice of its parent string, so one task name cut out of a 60 KB page body keeps the whole body
 * in memory for as long as the task is held. Listing a million tasks then holds every page it ever read
 * (bench B4: 622 page bodies, 30 MB, retained at 100,000 tasks). Whatever outlives a page goes through here.
 */

/** V8's `SlicedString::kMinLength`: shorter substrings are already copies. */
const MIN_SLICE_LENGTH = 13;

/** A fresh string with the same characters, sharing no memory with the string it was cut from. */
export function detachString(text: string): string {
  return text.length < MIN_SLICE_LENGTH ? text : (JSON.parse(JSON.stringify(text)) as string);
}

/** A shallow copy of a listed item whose string fields are detached (numbers and other values kept). */
export function detachStrings<T extends object>(item: T): T {
  const copy = { ...item } as Record<string, unknown>;
  for (const [key, value] of Object.entries(copy)) {
    if (typeof value === 'string') copy[key] = detachString(value);
  }
  return copy as T;
}
