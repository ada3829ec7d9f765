import { describe, expect, it } from 'vitest';
import type { CloudClient, CloudRequest, CloudResponse } from '../../lib/cloud/types';
import { CloudApiError } from '../../lib/errors';
import { DELETABLE_STATES } from '../../lib/policy/states';
import { classifyDcsState, dcsEndedAtMs } from '../../lib/sources/dcs-common';
import { classifyDisState, disEndedAtMs } from '../../lib/sources/dis-dump-tasks';
import { getSource, SOURCES } from '../../lib/sources/index';
import { classifyModelArtsStatus, modelArtsEndedAtMs } from '../../lib/sources/modelarts-processor-tasks';
import { classifyOmsStatus, omsEndedAtMs, readOmsId } from '../../lib/sources/oms-migration-tasks';
import { classifySmsTask, smsEndedAtMs } from '../../lib/sources/sms-migration-tasks';
import { answerMeaning, isAnswer } from '../../lib/sources/wire';
import type { AnswerMeaning, ServiceId, SourceContext, Task } from '../../lib/types';
import { SERVICE_IDS } from '../../lib/types';
import { TASK_APIS, taskPath } from '../support/task-apis';

describe('state table', () => {
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

  // Both gates: the task's own state and its source server's (docs/api/sms.md "States").
  it.each<[string, unknown, string]>([
    ['MIGRATE_SUCCESS', 'finished', 'deletable'],
    ['SYNC_F_ROLLBACK_SUCCESS', 'stopped', 'deletable'],
    ['ABORT', 'unavailable', 'deletable'],
    ['MIGRATE_SUCCESS', 'syncing', 'in-progress'],
    ['MIGRATE_FAIL', 'premiging', 'in-progress'],
    ['RUNNING', 'finished', 'in-progress'],
    ['READY', 'waiting', 'in-progress'],
    ['PREPARING', 'replicate', 'in-progress'],
    ['PREPARING', 'finished', 'unknown'],
    ['MIGRATE_SUCCESS', 'locked', 'unknown'],
    ['MIGRATE_SUCCESS', '', 'unknown'],
    ['MIGRATE_SUCCESS', undefined, 'unknown'],
    ['MIGRATE_SUCCESS', 7, 'unknown'],
    ['migrate_success', 'finished', 'unknown'],
  ])('SMS state %s, source server %j → %s', (state, serverState, stateClass) => {
    const item = { state, source_server: serverState === undefined ? {} : { state: serverState } };
    expect(classifySmsTask(item).stateClass).toBe(stateClass);
  });

  it('SMS without a source server object is unknown', () => {
    expect(classifySmsTask({ state: 'MIGRATE_SUCCESS' }).stateClass).toBe('unknown');
    expect(classifySmsTask({ state: 'MIGRATE_SUCCESS', source_server: 'finished' }).stateClass).toBe(
      'unknown',
    );
  });

  it.each(SERVICE_IDS)("%s's deletable states are the policy's DELETABLE_STATES", (id) => {
    expect([...getSource(id).descriptor.states.deletable]).toEqual([...DELETABLE_STATES[id]]);
  });

  it('registers one source per service id, in order', () => {
    expect(SOURCES.map((s) => s.descriptor.id)).toEqual([...SERVICE_IDS]);
    // The APIs that delete a running task (the emulator models which): every DELETE follows a read.
    expect(SOURCES.filter((s) => !s.descriptor.refusesInProgress).map((s) => s.descriptor.id)).toEqual(
      SERVICE_IDS.filter((id) => TASK_APIS[id].deletesRunningTasks),
    );
    for (const source of SOURCES.filter((s) => !s.descriptor.refusesInProgress))
      expect(source.readTask).toBeDefined();
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

  const sub = (end_date: unknown) => ({ id: 1, name: 'MIGRATE', progress: 100, end_date });
  it.each<[string, Record<string, unknown>, number | undefined]>([
    [
      'SMS latest sub-task end',
      { create_date: 1606372570023, sub_tasks: [sub(1606372580023), sub(1606372590023), sub(1606372585023)] },
      1606372590023,
    ],
    [
      'SMS creation when no sub-task ended',
      { create_date: 1606372570023, sub_tasks: [sub(null), { id: 2, name: 'MIGRATE', progress: 40 }] },
      1606372570023,
    ],
    [
      'SMS creation when there are no sub-tasks',
      { create_date: 1606372570023, sub_tasks: [] },
      1606372570023,
    ],
    [
      'SMS a sub-task end in seconds is unknown',
      { create_date: 1606372570023, sub_tasks: [sub(1606372590)] },
      undefined,
    ],
    ['SMS creation in seconds', { create_date: 1606372570 }, undefined],
    ['SMS nothing', {}, undefined],
  ])('%s', (_label, item, expected) => {
    expect(smsEndedAtMs(item)).toBe(expected);
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
  const request = async (req: CloudRequest): Promise<CloudResponse> => {
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
  };
  const client: CloudClient = { request, sequence: (_options, body) => body(request) };
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

describe('delete requests', () => {
  it.each(SERVICE_IDS)('%s: a DELETE with no body, every dynamic segment one encoded segment', (service) => {
    const task = taskOf(service);
    const request = getSource(service).deleteRequest(task, 'p/1');
    expect(request.method).toBe('DELETE');
    expect(request.body).toBeUndefined();
    // The path the emulator routes for this task's delete.
    expect(request.path).toBe(taskPath(TASK_APIS[service].delete, task, 'p/1'));
    if (service === 'oms-migration-tasks') expect(request.path).toMatch(/\/tasks\/9007199254740993$/);
    else expect(request.path).toContain('a%2Fb%20..%25%3F%23%C3%BC');
  });

  it.each(SERVICE_IDS)('%s: an id of ".." is never turned into a request', (service) => {
    expect(() => getSource(service).deleteRequest({ ...taskOf(service), id: '..' }, 'p1')).toThrow(
      /cannot be sent as a path segment/,
    );
  });
});

describe('what an error answer to a delete means (status and code, as documented)', () => {
  it.each<[ServiceId, number, string | undefined, AnswerMeaning | undefined]>([
    ['dcs-center-tasks', 404, 'DCS.4001', 'ambiguous-not-found'],
    ['dcs-center-tasks', 404, '111404001', 'ambiguous-not-found'],
    ['dcs-center-tasks', 400, 'DCS.4070', 'ambiguous-not-found'],
    ['dcs-center-tasks', 404, undefined, undefined],
    ['dcs-center-tasks', 404, 'APIG.0101', undefined],
    ['dcs-center-tasks', 404, 'DCS.3022', undefined],
    ['dcs-center-tasks', 400, 'DCS.4957', 'refused-in-progress'],
    ['dcs-center-tasks', 400, 'DCS.4017', 'refused-in-progress'],
    ['dcs-center-tasks', 500, 'DCS.5006', undefined],
    ['dcs-background-tasks', 404, 'DCS.3022', 'gone'],
    ['dcs-background-tasks', 404, 'DCS.4001', 'ambiguous-not-found'],
    ['dcs-background-tasks', 400, 'DCS.4957', 'refused-in-progress'],
    ['dcs-background-tasks', 403, 'DCS.2003', undefined],
    ['modelarts-processor-tasks', 400, 'ModelArts.4700', 'gone'],
    ['modelarts-processor-tasks', 503, 'ModelArts.4700', undefined],
    ['modelarts-processor-tasks', 404, undefined, undefined],
    ['modelarts-processor-tasks', 404, 'ModelArts.2836', undefined],
    ['modelarts-processor-tasks', 400, 'ModelArts.4409', undefined],
    ['oms-migration-tasks', 400, 'OMS.1009', 'gone'],
    ['oms-migration-tasks', 404, 'OMS.1009', undefined],
    ['oms-migration-tasks', 400, 'OMS.0063', 'refused-in-progress'],
    ['oms-migration-tasks', 404, 'APIG.0101', undefined],
    ['oms-migration-tasks', 404, undefined, undefined],
    ['oms-migration-tasks', 401, 'APIG.0307', undefined],
    ['dis-dump-tasks', 400, 'DIS.4354', 'gone'],
    ['dis-dump-tasks', 400, 'DIS.4301', 'gone'],
    ['dis-dump-tasks', 404, 'DIS.4354', undefined],
    ['dis-dump-tasks', 404, undefined, undefined],
    ['dis-dump-tasks', 500, 'DIS.5000', undefined],
    // SMS documents no not-found code: an SMS error to a delete may mean "gone", settled by a listing.
    ['sms-migration-tasks', 400, 'SMS.2015', 'refused-in-progress'],
    ['sms-migration-tasks', 404, 'SMS.9999', 'ambiguous-not-found'],
    ['sms-migration-tasks', 400, 'SMS.9001', 'ambiguous-not-found'],
    ['sms-migration-tasks', 403, 'SMS.9004', undefined],
    ['sms-migration-tasks', 500, 'SMS.2007', undefined],
    ['sms-migration-tasks', 404, undefined, undefined],
    ['sms-migration-tasks', 404, 'APIG.0101', undefined],
  ])('%s answered %i %s → %s', (service, status, errorCode, expected) => {
    expect(answerMeaning(getSource(service).descriptor, { status, errorCode })).toBe(expected);
  });

  it.each<[ServiceId, number, string | undefined, boolean]>([
    ['modelarts-processor-tasks', 400, 'ModelArts.4700', true],
    ['modelarts-processor-tasks', 503, 'ModelArts.4700', false],
    ['modelarts-processor-tasks', 404, undefined, false],
    ['dis-dump-tasks', 400, 'DIS.4354', true],
    ['dis-dump-tasks', 404, undefined, false],
    ['oms-migration-tasks', 400, 'OMS.1009', true],
    ['oms-migration-tasks', 404, undefined, false],
    ['sms-migration-tasks', 404, 'SMS.9999', false],
    ['sms-migration-tasks', 400, 'SMS.9999', false],
  ])('a read of %s answered %i %s is "gone": %s', (service, status, errorCode, expected) => {
    expect(isAnswer({ status, errorCode }, getSource(service).descriptor.answers.notFound)).toBe(expected);
  });
});

describe('DCS task-center listing on a cloud without it (OTC documents no task-center list)', () => {
  it('reports a 404 as a clear ListingError for that service, not a crash', async () => {
    const { client } = scriptedClient({ status: 404, code: 'APIG.0101' });
    const ctx: SourceContext = {
      client,
      projectId: 'p1',
      signal: new AbortController().signal,
      stopSignal: new AbortController().signal,
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
