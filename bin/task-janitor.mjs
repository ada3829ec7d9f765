#!/usr/bin/env node
// task-janitor command. In a clone (after `npm ci`) it runs the TypeScript source through tsx, so it never
// runs stale code; where the source or tsx is absent it falls back to an esbuild bundle at `dist/cli.mjs`
// if one was built (there is no build script for it yet).
import { existsSync } from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
const bundle = new URL('../dist/cli.mjs', import.meta.url);

async function load() {
  if (existsSync(source)) {
    try {
      const { register } = await import('tsx/esm/api');
      register();
      return await import(source.href);
    } catch (error) {
      if (!existsSync(bundle) || error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    }
  }
  return import(bundle.href);
}

const { runCli } = await load();
await runCli(process.argv.slice(2));
