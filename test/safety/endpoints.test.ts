/**
 * Endpoints: plain `http://` only for loopback hosts, and TLS certificate verification never turned
 * off: not by configuration, not anywhere in the shipped code, and not at run time (a self-signed server is
 * refused by the real client).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudClientFromConfig } from '../../lib/cloud/from-config';
import { loadConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { makeDeps } from '../support/deps';

const ROOT = join(import.meta.dirname, '..', '..');
const BASE = { TASK_JANITOR_REGION: 'eu-de', TASK_JANITOR_AUTH_TOKEN: 'token-value' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [...error.problems];
  }
}

describe('endpoints: plain http only for loopback', () => {
  it.each([
    'http://dcs.eu-de.otc.t-systems.com',
    'http://10.0.0.1:8080',
    'http://127.0.0.1.nip.io',
    'http://localhost.evil.example',
    'http://[::ffff:10.0.0.1]',
    'HTTP://DCS.EXAMPLE.COM',
    'http://127.0.0.1@evil.example',
    'ftp://127.0.0.1',
    'file:///etc/passwd',
    'https://user:pass@dcs.example.com',
  ])('refuses %s, naming the variable', (url) => {
    const problems = problemsOf({ ...BASE, TASK_JANITOR_ENDPOINT_DCS: url });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^TASK_JANITOR_ENDPOINT_DCS /);
  });

  it.each([
    'http://127.0.0.1:9000',
    'http://127.9.8.7',
    'http://localhost:1',
    'http://[::1]:9000',
    'https://dcs.example.com',
  ])('accepts %s', (url) => {
    expect(problemsOf({ ...BASE, TASK_JANITOR_ENDPOINT_DCS: url })).toEqual([]);
  });

  it('builds https:// endpoints when none is configured', () => {
    const config = loadConfig(BASE);
    for (const url of Object.values(config.endpoints)) expect(url).toMatch(/^https:\/\//);
  });
});

/** Every shipped source file (not tests, not dependencies). */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'test' || name.startsWith('.') || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|cts|js|mjs|cjs|json|ya?ml|tf|sh)$/.test(name)) out.push(path);
  }
  return out;
}

describe('TLS verification is never turned off', () => {
  it('no shipped file disables certificate checks', () => {
    const files = sourceFiles(ROOT).filter((f) => !relative(ROOT, f).startsWith('package-lock'));
    expect(files.some((f) => f.endsWith(join('lib', 'cloud', 'client.ts')))).toBe(true);
    const offenders = files.filter((file) => {
      const text = readFileSync(file, 'utf8');
      return (
        /rejectUnauthorized\s*:\s*(false|0|!)/.test(text) ||
        /NODE_TLS_REJECT_UNAUTHORIZED/.test(text) ||
        /checkServerIdentity\s*:/.test(text) ||
        /insecureHTTPParser|--insecure|strictSSL\s*:\s*false/.test(text)
      );
    });
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  describe('at run time', () => {
    let server: Server | undefined;
    let dir: string | undefined;
    let requests = 0;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'janitor-tls-'));
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      const s = createServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_req, res) => {
          requests += 1;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"tasks":[],"count":0}');
        },
      );
      server = s;
      return new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the real client refuses a server whose certificate it cannot verify', async () => {
      const port = (server?.address() as AddressInfo | undefined)?.port;
      const config = loadConfig({
        ...BASE,
        TASK_JANITOR_PROJECT_ID: 'p1',
        TASK_JANITOR_ENDPOINT_OMS: `https://127.0.0.1:${port}`,
        TASK_JANITOR_MAX_ATTEMPTS: '1',
      });
      // The real node-fetch: TLS verification is what this test is about.
      const { deps } = makeDeps({ logLevel: 'error' });
      const client = createCloudClientFromConfig(deps, config);
      try {
        await expect(
          client.request({
            service: 'oms',
            operation: 'ListMigrationTasks',
            method: 'GET',
            path: '/v2/p1/tasks',
          }),
        ).rejects.toMatchObject({ name: 'NetworkError', code: expect.stringMatching(/CERT|SELF_SIGNED/) });
      } finally {
        client.close();
      }
      expect(requests).toBe(0);
    });
  });
});
