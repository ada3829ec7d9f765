#!/usr/bin/env node
// task-janitor in this repository (tests, `node bin/task-janitor.mjs`). After `npm ci` it runs the TypeScript
// source through tsx, so it never runs stale code; without tsx it falls back to the bundle `npm run build`
// writes. The installed package does not contain this file: its bin is that bundle, `dist/task-janitor.mjs`.
import { existsSync } from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
const bundle = new URL('../dist/task-janitor.mjs', import.meta.url);

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
