import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCommandLine, USAGE, VERSION_LINE } from '../../cli/args';
import { REPO_ROOT, runCli } from './run-cli';

async function packageVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

describe('--version', () => {
  it.each([[['--version']], [['-v']], [['version']]])('%j asks for the version', (argv) => {
    expect(readCommandLine(argv)).toEqual({ command: { command: 'version' }, problems: [] });
  });

  it('refuses arguments after it', () => {
    expect(readCommandLine(['--version', 'purge']).problems).toEqual(['unexpected argument "purge"']);
  });

  it("names package.json's version, in the usage text too", async () => {
    expect(VERSION_LINE).toBe(`task-janitor ${await packageVersion()}`);
    expect(USAGE.split('\n')[0]).toBe(VERSION_LINE);
  });

  it('prints it and exits 0, as a process', async () => {
    const result = await runCli(['--version']);

    expect(result).toMatchObject({ code: 0, stdout: `task-janitor ${await packageVersion()}\n`, stderr: '' });
  });

  it('is shown by --help', async () => {
    const result = await runCli(['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(`task-janitor ${await packageVersion()}\n`)).toBe(true);
  });
});
