/**
 * `npm run bench [-- --only B1,B2] [--quick] [--profile]`: the benchmark (targets: docs/decisions/0016-benchmark-targets.md). Each scenario starts its
 * own emulator process, runs the purge in a child process (the shells' code path), prints its figures, and
 * the run writes `bench/RESULTS.md` and `bench/results.json` (rows of scenarios not run are kept from the
 * previous file).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SCENARIOS, type ScenarioContext, type ScenarioResult } from './scenarios';

const RESULTS_JSON = fileURLToPath(new URL('./results.json', import.meta.url));
const RESULTS_MD = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

export interface Machine {
  nproc: number;
  node: string;
  cpu: string;
  memoryGb: number;
  loadAverage1m: number;
}

interface ResultRow extends ScenarioResult {
  date: string;
  command: string;
  machine: Machine;
  quick: boolean;
}

function machine(): Machine {
  let nproc = os.availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // nproc missing: keep Node's count.
  }
  return {
    nproc,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

function renderMarkdown(rows: readonly ResultRow[]): string {
  const lines = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (`bench/run.ts`); see `docs/performance.md` for what limits each figure.',
    '',
    '| scenario | target | measured | pass | machine | date | command |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const m = row.machine;
    const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', '<br>');
    lines.push(
      `| ${cell(`${row.id} ${row.name}`)} | ${cell(row.target)} | ${cell(row.measured)} | ${row.pass ? 'PASS' : 'FAIL'} | ${cell(
        `${m.nproc} × ${m.cpu}, ${m.memoryGb} GB, node ${m.node}, load ${m.loadAverage1m}`,
      )} | ${row.date} | \`${row.command}\`${row.quick ? ' (quick)' : ''} |`,
    );
  }
  lines.push('');
  for (const row of rows) {
    if (row.notes.length === 0) continue;
    lines.push(`## ${row.id} ${row.name}`, '', ...row.notes.map((n) => `- ${n}`), '');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const wanted = values.only
    ?.split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const unknown = wanted?.filter((id) => !SCENARIOS.some((s) => s.id.toUpperCase() === id)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const selected = SCENARIOS.filter((s) => wanted === undefined || wanted.includes(s.id.toUpperCase()));
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const ctx: ScenarioContext = {
    quick: values.quick ?? false,
    profile: values.profile ?? false,
    log: (text) => process.stdout.write(`${text}\n`),
  };
  const previous: ResultRow[] = existsSync(RESULTS_JSON)
    ? ((JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as { rows?: ResultRow[] }).rows ?? [])
    : [];
  const rows = new Map(previous.map((row) => [row.id, row] as const));
  const startedMs = Date.now();
  let failed = 0;
  for (const scenario of selected) {
    const m = machine();
    ctx.log(`\n== ${scenario.id} ${scenario.name} (load ${m.loadAverage1m}) ==`);
    const t0 = Date.now();
    let result: ScenarioResult;
    try {
      result = await scenario.run(ctx);
    } catch (error) {
      result = {
        id: scenario.id,
        name: scenario.name,
        target: scenario.target,
        measured: `error: ${error instanceof Error ? error.message : String(error)}`,
        pass: false,
        figures: {},
        notes: [],
      };
    }
    if (!result.pass) failed += 1;
    ctx.log(
      `-> ${result.pass ? 'PASS' : 'FAIL'}: ${result.measured} (${Math.round((Date.now() - t0) / 1000)} s)`,
    );
    rows.set(scenario.id, {
      ...result,
      date: new Date().toISOString(),
      command,
      machine: m,
      quick: ctx.quick,
    });
  }
  const ordered = SCENARIOS.map((s) => rows.get(s.id)).filter((r): r is ResultRow => r !== undefined);
  writeFileSync(RESULTS_JSON, `${JSON.stringify({ rows: ordered }, null, 2)}\n`);
  writeFileSync(RESULTS_MD, renderMarkdown(ordered));
  // The repository's formatter owns the layout of committed files: `npm run lint` stays clean after a bench.
  try {
    execFileSync('npx', ['biome', 'format', '--write', RESULTS_JSON, RESULTS_MD], { stdio: 'ignore' });
  } catch {
    ctx.log(
      '(biome could not format the result files; run `npx biome format --write bench/` before committing)',
    );
  }
  ctx.log(
    `\n${selected.length} scenario(s), ${failed} failed, ${Math.round((Date.now() - startedMs) / 1000)} s; wrote bench/RESULTS.md and bench/results.json`,
  );
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
