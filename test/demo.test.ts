import { describe, expect, it } from 'vitest';
import { describeKeptTasks, KEPT_TASKS_SHOWN } from '../scripts/demo';

const tasks = (count: number): string[] =>
  Array.from(
    { length: count },
    (_, i) => `1912974078315${String(i).padStart(2, '0')} "oms-task-${i}" (executing)`,
  );

describe('the demo summary of kept in-progress OMS tasks', () => {
  it('names the first ten and counts the rest', () => {
    const text = describeKeptTasks(tasks(234));

    expect(KEPT_TASKS_SHOWN).toBe(10);
    expect(text.split('\n')[0]).toBe(
      'In-progress OMS migration tasks skipped (never stopped, never deleted): 234; the first 10:',
    );
    for (let i = 0; i < 10; i += 1) expect(text).toContain(`"oms-task-${i}"`);
    expect(text).not.toContain('"oms-task-10"');
    expect(text).toMatch(/… and 224 more/);
    expect(text.split('\n').length).toBeLessThan(10);
  });

  it.each([
    [0, 'In-progress OMS migration tasks skipped (never stopped, never deleted): 0\n'],
    [3, expect.stringMatching(/: 3:\n.*"oms-task-2".*\n$/s)],
    [10, expect.not.stringContaining('more')],
  ])('%i tasks: all named, no "more"', (count, expected) => {
    expect(describeKeptTasks(tasks(count))).toEqual(expected);
  });
});
