/**
 * Chaos suite (docs/decisions/0015-chaos-invariants.md): randomized fault schedules against the real emulator over loopback HTTP, each run
 * through `invokePurge` with the real config, client and sources, each followed by the five invariants.
 *
 *   CHAOS_SCHEDULES=<n>  how many schedules (default 200; `npm run chaos` runs 2000)
 *   CHAOS_SEED=<seed>    replay one schedule (printed with every failure)
 *
 * A replay repeats the schedule exactly (account, policy, faults, state changes, deadline, client knobs);
 * which request draws which fault can differ, since requests interleave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { checkInvariants } from './invariants';
import { type Clock, runSchedule } from './run-schedule';
import { drawSchedule } from './schedule';

const BASE_SEED = 80_000;
const SCHEDULES = Math.max(1, Number(process.env.CHAOS_SCHEDULES ?? 200));
const REPLAY = process.env.CHAOS_SEED;
const CHUNK = 25;

const seeds =
  REPLAY !== undefined ? [Number(REPLAY)] : Array.from({ length: SCHEDULES }, (_, i) => BASE_SEED + i);
const chunks: number[][] = [];
for (let i = 0; i < seeds.length; i += CHUNK) chunks.push(seeds.slice(i, i + CHUNK));

interface Tally {
  schedules: number;
  deletions: number;
  /** Deletions per task API: every one of them is exercised. */
  deletionsPerService: Record<string, number>;
  errorsAnswered: number;
  faultsInjected: number;
  listingFailures: number;
  deadlineSkips: number;
  interruptedRuns: number;
  interruptSkips: number;
  unknownOutcomes: number;
  fullFailures: number;
  raceDeletions: number;
  /** Tasks the test removed while a DELETE of them went unanswered, reported deleted (invariant 5 explains). */
  removedWhileUnanswered: number;
  /** Longest time from the read that found a task deletable to its DELETE's arrival (ModelArts, DIS). */
  maxReadToDeleteMs: number;
  maxOvershootMs: number;
}

describe(`chaos: ${seeds.length} seeded fault schedules against the emulator`, () => {
  let emulator: Emulator;
  const clock: Clock = { skewMs: 0 };
  let serial = 0;
  const tally: Tally = {
    schedules: 0,
    deletions: 0,
    deletionsPerService: {},
    errorsAnswered: 0,
    faultsInjected: 0,
    listingFailures: 0,
    deadlineSkips: 0,
    interruptedRuns: 0,
    interruptSkips: 0,
    unknownOutcomes: 0,
    fullFailures: 0,
    raceDeletions: 0,
    removedWhileUnanswered: 0,
    maxReadToDeleteMs: 0,
    maxOvershootMs: Number.NEGATIVE_INFINITY,
  };

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 8, tasks: 0, nowMs: () => Date.now() + clock.skewMs });
  });
  afterAll(async () => {
    await emulator?.close();
    console.info(`chaos summary: ${JSON.stringify(tally)}`);
  });

  it.each(chunks.map((chunk) => [`${chunk[0]}..${chunk.at(-1)}`, chunk] as const))(
    'schedules %s keep every invariant',
    async (_label, chunk) => {
      const failures: string[] = [];
      for (const seed of chunk) {
        serial += 1;
        const schedule = drawSchedule(seed, serial);
        const outcome = await runSchedule({ emulator, clock, schedule, serial });
        const findings = checkInvariants(outcome);
        tally.schedules += 1;
        tally.deletions += outcome.deletions.length;
        for (const { service } of outcome.deletions)
          tally.deletionsPerService[service] = (tally.deletionsPerService[service] ?? 0) + 1;
        tally.errorsAnswered += outcome.requests.filter((r) => r.status >= 400).length;
        tally.faultsInjected += outcome.requests.filter((r) => r.fault !== undefined).length;
        tally.listingFailures += Object.values(outcome.report?.services ?? {}).filter((s) => s?.error).length;
        tally.deadlineSkips += outcome.report?.totals.skipped.deadline ?? 0;
        if (outcome.report?.stoppedBy === 'interrupted') tally.interruptedRuns += 1;
        tally.interruptSkips += outcome.report?.totals.skipped.interrupted ?? 0;
        tally.unknownOutcomes += findings.unknown;
        if (outcome.thrown !== undefined) tally.fullFailures += 1;
        tally.raceDeletions += findings.raceDeletions;
        tally.removedWhileUnanswered += findings.removedWhileUnanswered;
        tally.maxReadToDeleteMs = Math.max(tally.maxReadToDeleteMs, findings.maxReadToDeleteMs);
        tally.maxOvershootMs = Math.max(tally.maxOvershootMs, findings.overshootMs);
        if (findings.violations.length > 0) {
          failures.push(
            [
              `seed ${seed} broke ${findings.violations.length} invariant(s); replay: CHAOS_SEED=${seed} npx vitest run test/chaos`,
              ...findings.violations.map((v) => `  - ${v}`),
              `  schedule: ${JSON.stringify(schedule)}`,
            ].join('\n'),
          );
        }
      }
      if (failures.length > 0) console.error(failures.join('\n\n'));
      expect(failures).toEqual([]);
    },
    240_000,
  );
});
