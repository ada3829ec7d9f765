import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCES } from '../../lib/sources/index';
import type { Task } from '../../lib/types';
import { type Harness, startHarness } from '../support/emulator-run';

describe('sources against the emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 3, tasks: 2000 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(SOURCES.map((s) => [s.descriptor.id, s] as const))(
    '%s lists every task of the emulator',
    async (id, source) => {
      const projectId = await h.client.resolveProjectId();
      const tasks: Task[] = [];
      for await (const task of source.list({
        client: h.client,
        projectId,
        signal: new AbortController().signal,
        stopSignal: new AbortController().signal,
        log: h.deps.log,
      })) {
        tasks.push(task);
      }
      expect(tasks.map((t) => t.id).sort()).toEqual(
        h.emulator
          .tasks(id)
          .map((t) => t.id)
          .sort(),
      );
    },
  );
});
