import { describe, expect, it } from 'vitest';
import type { CloudClient, CloudRequest, CloudResponse } from '../../lib/cloud/types';
import { CloudApiError } from '../../lib/errors';
import { DELETABLE_STATES } from '../../lib/policy/states';
import { classifyDcsState, dcsEndedAtMs } from '../../lib/sources/dcs-common';
import { classifyDisState, disEndedAtMs } from '../../lib/sources/dis-dump-tasks';
import { getSource, SOURCES } from '../../lib/sources/index';
import { classifyModelArtsStatus, modelArtsEndedAtMs } from '../../lib/sources/modelarts-processor-tasks';
import { classifyOmsStatus, omsEndedAtMs, readOmsId } from '../../lib/sources/oms-migration-tasks';
import type { DeleteOutcome, ServiceId, SourceContext, Task } from '../../lib/types';
import { SERVICE_IDS } from '../../lib/types';

describe('state table (issue 5)', () => {
  it.each([
    ['SUCCESS', 'SUCCESS', 'deletable'],
    ['FAILED', 'FAILED', 'deletable'],
    ['FAIL', 'FAIL', 'deletable'],
    ['EXECUTING', 'EXECUTING', 'in-progress'],
    ['QUEUED', 'QUEUED', 'unknown'],
    ['success', 'success', 'unknown'],
    [7, 'status-7', 'unknown'],
    [undefined, 'status-undefined', 'unknown'],
  ])('DCS status %j → %s (%s)', (status, state, stateClass) => {
    expect(classifyDcsState(status)).toEqual({ state, stateClass });
  });

  it.each([
    [0, 'initialized', 'in-progress'],
    [1, 'running', 'in-progress'],
    [2, 'completed', 'deletable'],
    [3, 'failed', 'deletable'],
    [4, 'stopped', 'deletable'],
    ['2', 'completed', 'deletable'],
    [7, 'status-7', 'unknown'],
    [-1, 'status--1', 'unknown'],
    ['completed', 'status-completed', 'unknown'],
    [null, 'status-null', 'unknown'],
  ])('ModelArts status %j → %s (%s)', (status, state, stateClass) => {
    expect(classifyModelArtsStatus(status)).toEqual({ state, stateClass });
  });

  it.each([
    [0, 'pending', 'in-progress'],
    [1, 'waiting', 'in-progress'],
    [2, 'executing', 'in-progress'],
    [3, 'paused', 'deletable'],
    [4, 'failed', 'deletable'],
    [5, 'succeeded', 'deletable'],
    [6, 'retrying', 'in-progress'],
    [7, 'pausing', 'in-progress'],
    [9, 'status-9', 'unknown'],
    [2.5, 'status-2.5', 'unknown'],
  ])('OMS status %j → %s (%s)', (status, state, stateClass) => {
    expect(classifyOmsStatus(status)).toEqual({ state, stateClass });
  });

  it.each([
    ['ERROR', 'deletable'],
    ['ABNORMAL', 'deletable'],
    ['PAUSED', 'deletable'],
    ['STARTING', 'in-progress'],
    ['RUNNING', 'in-progress'],
    ['DELETE', 'unknown'],
    ['UPGRADING', 'unknown'],
  ])('DIS state %s → %s', (state, stateClass) => {
    expect(classifyDisState(state)).toEqual({ state, stateClass });
  });

  it.each(SERVICE_IDS)("%s's deletable states are the policy's DELETABLE_STATES", (id) => {
    expect([...getSource(id).deletableStates]).toEqual([...DELETABLE_STATES[id]]);
  });

  it('registers one source per service id, in order', () => {
    expect(SOURCES.map((s) => s.id)).toEqual([...SERVICE_IDS]);
    expect(SOURCES.filter((s) => s.recheck !== undefined).map((s) => s.id)).toEqual([
      'modelarts-processor-tasks',
      'dis-dump-tasks',
    ]);
  });
});

describe('age: when a task ended', () => {
  const created = '2020-06-17T08:18:06.597Z';
  const updated = '2020-06-17T08:18:10.106Z';
  it.each([
    ['DCS end time', { created_at: created, updated_at: updated }, Date.parse(updated)],
    ['DCS start when no end', { created_at: created, updated_at: null }, Date.parse(created)],
    ['DCS start when end empty', { created_at: created, updated_at: '' }, Date.parse(created)],
    ['DCS unparseable end is unknown', { created_at: created, updated_at: '17/06/2020' }, undefined],
    ['DCS nothing', {}, undefined],
    ['DCS zone-less start', { created_at: '2020-06-17T08:18:06' }, undefined],
  ])('%s', (_label, item, expected) => {
    expect(dcsEndedAtMs(item)).toBe(expected);
  });

  it.each([
    ['ModelArts create + duration', { create_time: 1606372570023, duration_seconds: 11 }, 1606372581023],
    ['ModelArts zero duration', { create_time: 1606372570023, duration_seconds: 0 }, 1606372570023],
    ['ModelArts no duration', { create_time: 1606372570023 }, undefined],
    ['ModelArts no create time', { duration_seconds: 11 }, undefined],
    ['ModelArts create time as text', { create_time: 'yesterday', duration_seconds: 11 }, undefined],
  ])('%s', (_label, item, expected) => {
    expect(modelArtsEndedAtMs(item)).toBe(expected);
  });

  it.each([
    ['OMS start + total', { start_time: 1606372570023, total_time: 5000 }, 1606372575023],
    ['OMS start 0 (placeholder)', { start_time: 0, total_time: 5000 }, undefined],
    ['OMS no total', { start_time: 1606372570023 }, undefined],
    ['OMS no start', { total_time: 5000 }, undefined],
  ])('%s', (_label, item, expected) => {
    expect(omsEndedAtMs(item)).toBe(expected);
  });

  it.each([
    [
      'DIS last transfer',
      { create_time: 1606554932552, last_transfer_timestamp: 1606984428612 },
      1606984428612,
    ],
    [
      'DIS create when never transferred',
      { create_time: 1606554932552, last_transfer_timestamp: 0 },
      1606554932552,
    ],
    ['DIS create when no last transfer', { create_time: 1606554932552 }, 1606554932552],
    ['DIS garbage last transfer', { create_time: 1606554932552, last_transfer_timestamp: 'x' }, undefined],
    ['DIS nothing', {}, undefined],
  ])('%s', (_label, item, expected) => {
    expect(disEndedAtMs(item)).toBe(expected);
  });
});

describe('readOmsId', () => {
  it.each([
    [191297407830872, '191297407830872'],
    ['9007199254740993', '9007199254740993'],
    ['18446744073709551615', '18446744073709551615'],
  ])('keeps %j as %s', (value, expected) => {
    expect(readOmsId(value, 'ListMigrationTasks')).toBe(expected);
  });

  it.each([[1.5], [-3], ['1e20'], [null], [Number.MAX_SAFE_INTEGER + 2]])('refuses %j', (value) => {
    expect(() => readOmsId(value, 'ListMigrationTasks')).toThrow(/integer "id"/);
  });
});

/** A client that answers every request with one scripted outcome, recording the requests. */
function scriptedClient(outcome: { status: number; code?: string } | 'ok') {
  const requests: CloudRequest[] = [];
  const client: CloudClient = {
    async request(req: CloudRequest): Promise<CloudResponse> {
      requests.push(req);
      if (outcome === 'ok') return { status: 204, body: undefined, requestId: undefined };
      throw new CloudApiError({
        service: req.service,
        operation: req.operation,
        method: req.method,
        path: req.path,
        status: outcome.status,
        errorCode: outcome.code,
        errorMsg: 'scripted',
        requestId: undefined,
        attempts: 1,
      });
    },
  };
  return { client, requests };
}

const silentLog = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLog;
  },
};

function taskOf(service: ServiceId): Task {
  return {
    service,
    id: service === 'oms-migration-tasks' ? '9007199254740993' : 'a/b ..%?#ü',
    name: 'n',
    parentId: 'parent/..',
    parentName: 'parent/..',
    state: 'x',
    stateClass: 'deletable',
    endedAtMs: 1,
  };
}

describe('delete outcomes', () => {
  it.each<[ServiceId, { status: number; code?: string } | 'ok', DeleteOutcome | 'rethrown']>([
    ['dcs-center-tasks', 'ok', 'deleted'],
    ['dcs-center-tasks', { status: 404, code: 'DCS.4001' }, 'already-gone'],
    ['dcs-center-tasks', { status: 404 }, 'already-gone'],
    ['dcs-center-tasks', { status: 404, code: 'APIG.0101' }, 'rethrown'],
    ['dcs-center-tasks', { status: 400, code: 'DCS.4070' }, 'already-gone'],
    ['dcs-center-tasks', { status: 400, code: 'DCS.4957' }, 'refused-in-progress'],
    ['dcs-center-tasks', { status: 400, code: 'DCS.4017' }, 'refused-in-progress'],
    ['dcs-center-tasks', { status: 500, code: 'DCS.5006' }, 'rethrown'],
    ['dcs-background-tasks', 'ok', 'deleted'],
    ['dcs-background-tasks', { status: 404, code: 'DCS.3022' }, 'already-gone'],
    ['dcs-background-tasks', { status: 400, code: 'DCS.4957' }, 'refused-in-progress'],
    ['dcs-background-tasks', { status: 403, code: 'DCS.2003' }, 'rethrown'],
    ['modelarts-processor-tasks', 'ok', 'deleted'],
    ['modelarts-processor-tasks', { status: 400, code: 'ModelArts.4700' }, 'already-gone'],
    ['modelarts-processor-tasks', { status: 400, code: 'ModelArts.4409' }, 'rethrown'],
    ['oms-migration-tasks', 'ok', 'deleted'],
    ['oms-migration-tasks', { status: 400, code: 'OMS.1009' }, 'already-gone'],
    ['oms-migration-tasks', { status: 400, code: 'OMS.0063' }, 'refused-in-progress'],
    ['oms-migration-tasks', { status: 404, code: 'APIG.0101' }, 'rethrown'],
    ['oms-migration-tasks', { status: 401, code: 'APIG.0307' }, 'rethrown'],
    ['dis-dump-tasks', 'ok', 'deleted'],
    ['dis-dump-tasks', { status: 400, code: 'DIS.4354' }, 'already-gone'],
    ['dis-dump-tasks', { status: 400, code: 'DIS.4301' }, 'already-gone'],
    ['dis-dump-tasks', { status: 500, code: 'DIS.5000' }, 'rethrown'],
  ])('%s answered %j → %s', async (service, outcome, expected) => {
    const { client, requests } = scriptedClient(outcome);
    const ctx: SourceContext = {
      client,
      projectId: 'p/1',
      signal: new AbortController().signal,
      log: silentLog,
    };
    const result = getSource(service).delete(taskOf(service), ctx);
    if (expected === 'rethrown') await expect(result).rejects.toBeInstanceOf(CloudApiError);
    else await expect(result).resolves.toBe(expected);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('DELETE');
    expect(requests[0]?.body).toBeUndefined();
    // Every dynamic segment is one encoded segment: no raw '/', '?', '#', '%' or '..' segment from the values.
    expect(requests[0]?.path.startsWith('/v2/p%2F1/')).toBe(true);
    if (service === 'oms-migration-tasks') expect(requests[0]?.path).toBe('/v2/p%2F1/tasks/9007199254740993');
    else expect(requests[0]?.path).toContain('a%2Fb%20..%25%3F%23%C3%BC');
  });
});

describe('DCS task-center listing on a cloud without it (OTC, REFERENCE §0.3)', () => {
  it('reports a 404 as a clear ListingError for that service, not a crash', async () => {
    const { client } = scriptedClient({ status: 404, code: 'APIG.0101' });
    const ctx: SourceContext = {
      client,
      projectId: 'p1',
      signal: new AbortController().signal,
      log: silentLog,
    };
    const listing = (async () => {
      for await (const _task of getSource('dcs-center-tasks').list(ctx)) {
        // nothing is listed
      }
    })();
    await expect(listing).rejects.toMatchObject({
      name: 'ListingError',
      message: expect.stringMatching(/not available on this cloud: 404 APIG\.0101/),
    });
  });
});
