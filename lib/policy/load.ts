/**
 * Reading a policy: text (YAML or JSON) → validated, normalised, frozen `Policy`. Pure except for the
 * injected `readFile`; every problem is collected into one `ConfigError` (subject `policy`).
 */
import { createHash } from 'node:crypto';
import { CORE_SCHEMA, load } from 'js-yaml';
import { ConfigError } from '../errors';
import { redactUrlsInText } from '../redact-url';
import { SERVICE_IDS, type ServiceId } from '../types';
import { describeDuplicateKey, findDuplicateJsonKeys, findYamlKeyPath } from './duplicate-keys';
import { checkDuration } from './duration';
import { formatIssues } from './issues';
import { describeUnknownPolicyKey, PARENT_KEYS, type PolicyDocument, policySchema } from './schema';
import { toTargetSelectors } from './targets';
import type { Policy, ServicePolicy } from './types';

export type PolicyFormat = 'yaml' | 'json' | 'auto';

export interface ParsePolicyOptions {
  /** `auto` reads YAML (a superset of the JSON a policy uses). @default 'auto' */
  readonly format?: PolicyFormat;
  /** Named in syntax errors. */
  readonly filename?: string;
}

function locate(filename: string | undefined, line: number, column: number): string {
  return `${filename ?? 'policy'} (line ${line}, column ${column})`;
}

/** Parses policy text into a plain value; syntax errors and duplicate keys become ConfigError with line and column. */
function parseDocument(text: string, options: ParsePolicyOptions): unknown {
  if (text.trim() === '') throw new ConfigError(['(root): the policy is empty'], { subject: 'policy' });
  if (options.format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError([`${options.filename ?? 'policy'}: not valid JSON: ${reason}`], {
        subject: 'policy',
        cause: error,
      });
    }
    const duplicates = findDuplicateJsonKeys(text);
    if (duplicates.length > 0) {
      throw new ConfigError(
        duplicates.map((d) => describeDuplicateKey(d, options.filename)),
        { subject: 'policy' },
      );
    }
    return value;
  }
  try {
    // CORE_SCHEMA: plain YAML 1.2 types only; no custom tags, no timestamps, `yes` stays a string.
    return load(text, { schema: CORE_SCHEMA, ...(options.filename ? { filename: options.filename } : {}) });
  } catch (error) {
    const mark = (error as { mark?: { line?: number; column?: number; position?: number } } | null)?.mark;
    const reason = (error as { reason?: unknown } | null)?.reason;
    if (reason === 'duplicated mapping key' && mark?.line !== undefined && mark.position !== undefined) {
      const path = findYamlKeyPath(text, mark.position);
      if (path !== undefined) {
        const duplicate = { path, line: mark.line + 1, column: (mark.column ?? 0) + 1 };
        throw new ConfigError([describeDuplicateKey(duplicate, options.filename)], {
          subject: 'policy',
          cause: error,
        });
      }
    }
    const where =
      mark?.line !== undefined ? locate(options.filename, mark.line + 1, (mark.column ?? 0) + 1) : 'policy';
    const message =
      typeof reason === 'string' ? reason : error instanceof Error ? error.message : String(error);
    throw new ConfigError([`${where}: not valid YAML: ${message}`], { subject: 'policy', cause: error });
  }
}

/** Keys sorted at every level, so the digest does not depend on key order in the source text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * sha256 (first 12 hex) of what selects and caps deletions. `dryRun` is left out on purpose: a plan made
 * dry and applied later (`--plan-out`, then `--plan --apply`) must show the same digest.
 */
export function computePolicyDigest(
  policy: Omit<Policy, 'digest' | 'dryRun'> & { dryRun?: boolean },
): string {
  const { version, maxDeletesPerRun, services, targets } = policy;
  // Targets join the digest only when a policy has them: a policy without them keeps its digest (and its plans).
  return createHash('sha256')
    .update(canonicalJson({ version, maxDeletesPerRun, services, ...(targets ? { targets } : {}) }))
    .digest('hex')
    .slice(0, 12);
}

/** Builds the frozen Policy (digest included) from its parts. */
export function buildPolicy(parts: Omit<Policy, 'digest'>): Policy {
  const services: Partial<Record<ServiceId, ServicePolicy>> = {};
  for (const id of SERVICE_IDS) {
    const sp = parts.services[id];
    if (sp) services[id] = Object.freeze({ ...sp });
  }
  const frozenServices = Object.freeze(services);
  const digest = computePolicyDigest({ ...parts, services: frozenServices });
  return Object.freeze({ ...parts, services: frozenServices, digest });
}

function normalise(doc: PolicyDocument): Policy {
  const services: Partial<Record<ServiceId, ServicePolicy>> = {};
  for (const id of SERVICE_IDS) {
    const sp = doc.services[id];
    if (!sp) continue;
    const duration = checkDuration(sp.olderThan);
    // Unreachable after validation; kept so the types need no cast.
    if (!duration.ok || typeof sp.olderThan !== 'string') continue;
    const parentKey = PARENT_KEYS[id];
    const parents = parentKey ? (sp as Record<string, unknown>)[parentKey] : undefined;
    services[id] = {
      enabled: sp.enabled,
      olderThanMs: duration.ms,
      olderThan: sp.olderThan,
      states: sp.states,
      include: sp.include,
      exclude: sp.exclude,
      parents: Array.isArray(parents) ? parents.filter((p): p is string => typeof p === 'string') : undefined,
    };
  }
  return buildPolicy({
    version: 1,
    dryRun: doc.dryRun,
    maxDeletesPerRun: doc.maxDeletesPerRun,
    services,
    ...(doc.targets !== undefined ? { targets: toTargetSelectors(doc.targets) } : {}),
  });
}

/** Validates an already-parsed value (a JSON object, a YAML document) as a v1 policy. */
export function validatePolicy(value: unknown): Policy {
  const result = policySchema.safeParse(value);
  if (!result.success) {
    throw new ConfigError(formatIssues(result.error.issues, describeUnknownPolicyKey), { subject: 'policy' });
  }
  return normalise(result.data);
}

/**
 * Parses and validates policy text.
 * @throws ConfigError (subject `policy`) listing every problem as `path: message`.
 */
export function parsePolicyText(text: string, options: ParsePolicyOptions = {}): Policy {
  return validatePolicy(parseDocument(text, options));
}

/** True when `source` is the policy itself rather than a path to it. */
export function isInlinePolicy(source: string): boolean {
  const trimmed = source.trimStart();
  return trimmed.startsWith('{') || source.includes('\n') || source.includes('version:');
}

/**
 * Loads a policy from a file path or inline YAML/JSON text (`TASK_JANITOR_POLICY`, `--policy`).
 * Inline when it starts with `{`, contains a newline or `version:`; otherwise a path read with `readFile`.
 */
export async function loadPolicy(
  source: string,
  readFile: (path: string) => Promise<string> | string,
): Promise<Policy> {
  if (isInlinePolicy(source)) return parsePolicyText(source);
  let text: string;
  try {
    text = await readFile(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // A path may be a presigned URL someone pasted: its query is a credential.
    throw new ConfigError([redactUrlsInText(`${source}: cannot read the policy file: ${reason}`)], {
      subject: 'policy',
      cause: error,
    });
  }
  const format: PolicyFormat = source.endsWith('.json') ? 'json' : 'yaml';
  return parsePolicyText(text, { format, filename: source });
}
