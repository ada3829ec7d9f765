/** Runs the Serverless Framework v3 CLI offline (no AWS credentials, no telemetry) for the packaging tests. */
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { type ProcessResult, runNodeProcess } from '../support/run-node';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SLS_BIN = fileURLToPath(new URL('../../node_modules/serverless/bin/serverless.js', import.meta.url));

export type SlsResult = ProcessResult;

/** `serverless ...args` with only PATH/HOME from this process plus `env`: no AWS credentials can leak in. */
export function runServerless(args: readonly string[], env: Record<string, string>): Promise<SlsResult> {
  return runNodeProcess([SLS_BIN, ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      SLS_DEPRECATION_DISABLE: '*',
      ...env,
    },
  });
}

export interface ZipEntry {
  readonly name: string;
  readonly size: number;
  read(): Buffer;
}

/** The entries of a zip file, from its central directory (stored and deflated entries). */
export function readZipEntries(zip: Buffer): ZipEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip file: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    entries.push({
      name,
      size,
      read: () => {
        const dataStart =
          localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
        const data = zip.subarray(dataStart, dataStart + compressedSize);
        return method === 0 ? Buffer.from(data) : inflateRawSync(data);
      },
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
