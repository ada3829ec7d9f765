/**
 * The local cloud: one `node:http` listener per service host (IAM, DCS, ModelArts, OMS, DIS) on 127.0.0.1,
 * speaking the wire format of REFERENCE.md. See `types.ts` for the programmatic API.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CLOUD_SERVICES, type CloudService, type ServiceId } from '../lib/types';
import { type RegisteredKey, verifyAkSk } from './aksk-verifier';
import { FaultTable, type ResolvedFaults, validateOptions } from './faults';
import {
  renderDcsInstance,
  renderDcsTask,
  renderDisTask,
  renderDisTaskDetails,
  renderModelArtsTask,
  renderOmsTaskJson,
  renderStream,
} from './render';
import { createRng, type Rng } from './rng';
import {
  AccountState,
  DCS_DELETABLE_STATES,
  isoMs,
  OMS_UNDELETABLE_STATES,
  splitCounts,
  type TaskRecord,
} from './state';
import type {
  EmulatedTask,
  Emulator,
  EmulatorAccount,
  EmulatorDeletion,
  EmulatorOperation,
  EmulatorOptions,
  EmulatorStateChange,
  FaultSettings,
  FaultTarget,
  ForeignRequest,
  ReceivedAuthHeaders,
  RequestLogEntry,
} from './types';

export type * from './types';

interface Answer {
  status: number;
  /** JSON text, or undefined for an empty body. */
  body?: string;
  headers?: Record<string, string>;
  errorCode?: string;
  /** @default 'application/json;charset=UTF-8' */
  contentType?: string;
}

interface Route {
  operation: EmulatorOperation | 'Unknown';
  /** Decoded path segments after `/v2/{project_id}/` (or the IAM path). */
  params: string[];
  projectId?: string;
}

interface Context {
  service: CloudService;
  route: Route;
  query: URLSearchParams;
  body: Buffer;
  faults: ResolvedFaults;
  projectId: string | undefined;
}

const SERVICE_OF_TASK: Record<ServiceId, CloudService> = {
  'dcs-center-tasks': 'dcs',
  'dcs-background-tasks': 'dcs',
  'modelarts-processor-tasks': 'modelarts',
  'oms-migration-tasks': 'oms',
  'dis-dump-tasks': 'dis',
};

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Answers in the service's own error shape (REFERENCE §1.4); `APIG.*` codes use the gateway's shape. */
function errorAnswer(
  service: CloudService,
  status: number,
  code: string,
  message: string,
  requestId = '',
): Answer {
  let payload: unknown;
  if (code.startsWith('APIG.')) payload = { error_code: code, error_msg: message, request_id: requestId };
  else if (service === 'iam')
    payload = { error: { code: status, message, title: STATUS_TITLES[status] ?? 'Error' } };
  else if (service === 'dcs') payload = { error_code: code, error_msg: message, error_ext_msg: null };
  else if (service === 'dis') payload = { errorCode: code, message };
  else payload = { error_code: code, error_msg: message };
  return { status, body: JSON.stringify(payload), errorCode: code };
}

const json = (status: number, value: unknown): Answer => ({ status, body: JSON.stringify(value) });

function decodeSegments(rawPath: string): string[] | undefined {
  try {
    return rawPath.split('/').map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

function route(service: CloudService, method: string, segments: string[]): Route {
  const unknown: Route = { operation: 'Unknown', params: [] };
  if (segments[0] !== '') return unknown;
  if (service === 'iam') {
    if (
      method === 'POST' &&
      segments.length === 4 &&
      segments[1] === 'v3' &&
      segments[2] === 'auth' &&
      segments[3] === 'tokens'
    )
      return { operation: 'CreateToken', params: [] };
    if (method === 'GET' && segments.length === 3 && segments[1] === 'v3' && segments[2] === 'projects')
      return { operation: 'ListProjects', params: [] };
    return unknown;
  }
  if (segments[1] !== 'v2' || segments.length < 4) return unknown;
  const projectId = segments[2] ?? '';
  const rest = segments.slice(3);
  const shape = rest.map((s, i) => (i % 2 === 0 ? s : '{}')).join('/');
  const params = rest.filter((_, i) => i % 2 === 1);
  const op = ((): EmulatorOperation | undefined => {
    const key = `${method} ${shape}`;
    switch (service) {
      case 'dcs':
        return (
          {
            'GET instances': 'ListInstances',
            'GET instances/{}/tasks': 'ListBackgroundTasks',
            'DELETE instances/{}/tasks/{}': 'DeleteBackgroundTask',
            'GET tasks': 'ListCenterTasks',
            'DELETE tasks/{}': 'DeleteCenterTask',
          } as const
        )[key];
      case 'modelarts':
        return (
          {
            'GET processor-tasks': 'ListProcessorTasks',
            'GET processor-tasks/{}': 'ShowProcessorTask',
            'DELETE processor-tasks/{}': 'DeleteProcessorTask',
          } as const
        )[key];
      case 'oms':
        return (
          {
            'GET tasks': 'ListMigrationTasks',
            'GET tasks/{}': 'ShowMigrationTask',
            'POST tasks/{}/stop': 'StopMigrationTask',
            'DELETE tasks/{}': 'DeleteMigrationTask',
          } as const
        )[key];
      case 'dis':
        return (
          {
            'GET streams': 'ListStreams',
            'GET streams/{}/transfer-tasks': 'ListTransferTasks',
            'GET streams/{}/transfer-tasks/{}': 'ShowTransferTask',
            'DELETE streams/{}/transfer-tasks/{}': 'DeleteTransferTask',
          } as const
        )[key];
    }
  })();
  return op ? { operation: op, params, projectId } : unknown;
}

/** Which items (by index among the matching items) a page holds, after any paging quirk. */
interface PageWindow {
  indices: number[];
  reportedTotal: number;
  hasMore: boolean;
}

function pageWindow(
  total: number,
  start: number,
  limit: number,
  quirk: FaultSettings['pagingQuirk'],
): PageWindow {
  let from = start;
  let size = limit;
  let reportedTotal = total;
  if (quirk === 'repeat' && start > 0) from = Math.max(0, start - Math.ceil(limit / 2));
  if (quirk === 'lose' && start > 0) from = start + 1;
  if (quirk === 'over-limit') size = limit + 3;
  if (quirk === 'count-mismatch') reportedTotal = total + 3;
  const indices: number[] = [];
  if (quirk === 'endless' && total > 0) {
    for (let i = 0; i < limit; i++) indices.push((start + i) % total);
    return { indices, reportedTotal, hasMore: true };
  }
  const end = Math.min(total, from + size);
  for (let i = from; i < end; i++) indices.push(i);
  return { indices, reportedTotal, hasMore: end < total };
}

/** Strict non-negative integer parsing of a query parameter; undefined = absent, NaN = invalid. */
function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  return /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
}

function parseDcsTime(raw: string | null): number | undefined | null {
  if (raw === null) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(raw);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0);
}

// ---- redirects, proxy 404s, lost answers, gateway timeouts, owner resumes, DIS error shapes, 403, 408 -----

const CREDENTIAL_HEADERS = ['authorization', 'x-auth-token', 'x-security-token'] as const;

function carriesCredentials(req: IncomingMessage): boolean {
  return CREDENTIAL_HEADERS.some((name) => req.headers[name] !== undefined);
}

/** Where injected `absolute-external` redirects point: a reserved name no one can listen on. */
const EXTERNAL_REDIRECT_ORIGIN = 'https://redirect-target.invalid';

const PROXY_NOT_FOUND_HTML =
  '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** The state an owner resuming a task puts it in. */
const IN_PROGRESS_STATE: Record<ServiceId, string | number> = {
  'dcs-center-tasks': 'EXECUTING',
  'dcs-background-tasks': 'EXECUTING',
  'modelarts-processor-tasks': 1,
  'oms-migration-tasks': 2,
  'dis-dump-tasks': 'RUNNING',
};

/** Injected failure answers after which the owner may resume the task (`resumeOnFailedDeleteShare`). */
const FAILED_DELETE_FAULTS: ReadonlySet<RequestLogEntry['fault']> = new Set<RequestLogEntry['fault']>([
  'server-error',
  'outage',
  'throttle',
  'rate-limit',
  'proxy-not-found',
  'gateway-timeout',
  'forbidden',
  'request-timeout',
]);

/** The task a delete operation addresses, or undefined for any other operation. */
function deleteTargetOf(r: Route): { service: ServiceId; id: string; parentId?: string } | undefined {
  const [a = '', b = ''] = r.params;
  switch (r.operation) {
    case 'DeleteCenterTask':
      return { service: 'dcs-center-tasks', id: a };
    case 'DeleteBackgroundTask':
      return { service: 'dcs-background-tasks', id: b, parentId: a };
    case 'DeleteProcessorTask':
      return { service: 'modelarts-processor-tasks', id: a };
    case 'DeleteMigrationTask':
      return { service: 'oms-migration-tasks', id: a };
    case 'DeleteTransferTask':
      return { service: 'dis-dump-tasks', id: b, parentId: a };
    default:
      return undefined;
  }
}

function forbiddenAnswer(service: CloudService, requestId: string): Answer {
  if (service === 'dcs')
    return errorAnswer(service, 403, 'DCS.2003', 'The user does not have the permission for this operation.');
  if (service === 'dis') return errorAnswer(service, 403, 'DIS.4116', 'Invalid RBAC.');
  return errorAnswer(
    service,
    403,
    'APIG.0302',
    'The IAM user is forbidden in the currently selected region.',
    requestId,
  );
}

/** `{"errorCode", "message"}` → `{"error_code", "error_msg"}`; any other body is left as it is. */
function snakeDisError(answer: Answer): Answer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body ?? '');
  } catch {
    return answer;
  }
  if (typeof parsed !== 'object' || parsed === null) return answer;
  const { errorCode, message } = parsed as Record<string, unknown>;
  if (typeof errorCode !== 'string' || typeof message !== 'string') return answer;
  return { ...answer, body: JSON.stringify({ error_code: errorCode, error_msg: message }) };
}

/** What the foreign host answers: a plausible success a naive client would take at face value. */
function foreignAnswerBody(method: string): string {
  if (method !== 'GET') return '{}';
  // An empty listing in every service's field names.
  return JSON.stringify({
    count: 0,
    tasks: [],
    task_count: 0,
    instance_num: 0,
    instances: [],
    total_number: 0,
    stream_names: [],
    stream_info_list: [],
    has_more_streams: false,
  });
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  validateOptions(options);
  const seed = options.seed ?? 1;
  const nowMs = options.nowMs ?? (() => Date.now());
  const tokenTtlMs = (options.tokenTtlSeconds ?? 86_400) * 1000;
  const omsPauseDelayMs = options.omsPauseDelayMs ?? 100;
  const genRng = createRng(seed);
  const faultRng: Rng = createRng(seed ^ 0x5eed);

  const account: EmulatorAccount = Object.freeze({
    // A Huawei Cloud region (the default cloud): OMS and the DCS task center exist only there.
    region: 'cn-north-4',
    projectId: '0b5c6a7e9d8f4e2a9c1b3d5f7a9e1c3b',
    projectName: 'cn-north-4',
    domainName: 'janitor-domain',
    userName: 'janitor-user',
    password: 'emulator-password-not-a-secret',
    accessKey: 'EMULATORPERMANENTAK1',
    secretKey: 'emulator-permanent-secret-key-not-a-secret',
    tempAccessKey: 'EMULATORTEMPORARYAK1',
    tempSecretKey: 'emulator-temporary-secret-key-not-a-secret',
    securityToken: 'emulator-security-token-not-a-secret',
  });
  const domainId = '5e2a8c0f1b3d4e6f8a0b2c4d6e8f0a1b';
  const userId = 'd53977d1adfb49c5b025ba7d33a13fd7';
  const keys = new Map<string, RegisteredKey>([
    [account.accessKey, { secretKey: account.secretKey }],
    [account.tempAccessKey, { secretKey: account.tempSecretKey, securityToken: account.securityToken }],
  ]);
  const tokens = new Map<string, { expiresMs: number; projectId: string | undefined }>();

  const state = new AccountState(genRng, nowMs);
  state.generate(splitCounts(options.tasks ?? 200, options.tasksPerService ?? {}));

  const faults = new FaultTable();
  for (const { service, operation, ...settings } of options.faults ?? []) {
    faults.set(operation === undefined ? { service } : { service, operation }, settings);
  }

  const log: RequestLogEntry[] = [];
  const authHeaderLog: ReceivedAuthHeaders[] = [];
  const deletions: EmulatorDeletion[] = [];
  const stateChanges: EmulatorStateChange[] = [];
  const foreignLog: ForeignRequest[] = [];
  let foreignUrl = '';
  const connections = Object.fromEntries(CLOUD_SERVICES.map((s) => [s, 0])) as Record<CloudService, number>;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let backgroundDeletes = 0;
  let closing = false;

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const recordDeletion = (record: TaskRecord): void => {
    deletions.push({
      service: record.service,
      id: record.id,
      name: record.name,
      state: record.state,
      atMs: nowMs(),
    });
  };

  /** Sets a task's state and records the change; false when there is no such task. */
  const changeState = (
    service: ServiceId,
    id: string,
    to: string | number,
    parentId: string | undefined,
    cause: EmulatorStateChange['cause'],
    fault?: RequestLogEntry['fault'],
  ): boolean => {
    const record = state.find(service, id, parentId);
    if (!record) return false;
    const from = record.state;
    if (!state.setState(service, id, to, parentId)) return false;
    if (from === to) return true;
    const change: EmulatorStateChange = { service, id, from, to, cause, atMs: Date.now() };
    if (record.parentId !== undefined) change.parentId = record.parentId;
    if (fault !== undefined) change.fault = fault;
    stateChanges.push(change);
    return true;
  };

  // ---- authentication -------------------------------------------------------------------------------------

  type AuthOutcome = { kind: 'token' | 'aksk' | 'none'; failure?: Answer };

  const authenticate = (ctx: Context, req: IncomingMessage): AuthOutcome => {
    const { service } = ctx;
    const mismatch = (kind: 'token' | 'aksk'): AuthOutcome => ({
      kind,
      failure:
        service === 'dcs'
          ? errorAnswer(service, 401, 'DCS.1004', 'Project ID does not match the token.')
          : errorAnswer(
              service,
              401,
              'APIG.0301',
              'Incorrect IAM authentication information: project id mismatch.',
            ),
    });
    const token = req.headers['x-auth-token'];
    if (typeof token === 'string') {
      const issued = tokens.get(token);
      if (!issued)
        return {
          kind: 'token',
          failure: errorAnswer(
            service,
            401,
            'APIG.0301',
            'Incorrect IAM authentication information: verify token fail.',
          ),
        };
      if (nowMs() >= issued.expiresMs)
        return {
          kind: 'token',
          failure: errorAnswer(service, 401, 'APIG.0307', 'The token must be updated.'),
        };
      if (ctx.projectId !== undefined && ctx.projectId !== issued.projectId) return mismatch('token');
      return { kind: 'token' };
    }
    const authorization = req.headers.authorization;
    if (typeof authorization === 'string') {
      const result = verifyAkSk(
        { method: req.method ?? 'GET', rawTarget: req.url ?? '/', headers: req.headers, body: ctx.body },
        keys,
        nowMs(),
      );
      if (!result.ok)
        return {
          kind: 'aksk',
          failure: errorAnswer(
            service,
            401,
            'APIG.0301',
            `Incorrect IAM authentication information: ${result.message}`,
          ),
        };
      const headerProject = req.headers['x-project-id'];
      if (typeof headerProject === 'string' && headerProject !== account.projectId) return mismatch('aksk');
      if (ctx.projectId !== undefined && ctx.projectId !== account.projectId) return mismatch('aksk');
      return { kind: 'aksk' };
    }
    return {
      kind: 'none',
      failure: errorAnswer(
        service,
        401,
        'APIG.0301',
        'Incorrect IAM authentication information: no credentials.',
      ),
    };
  };

  // ---- operations -----------------------------------------------------------------------------------------

  const createToken = (ctx: Context): Answer => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ctx.body.toString('utf8'));
    } catch {
      return errorAnswer('iam', 400, 'IAM.0007', 'The request body is not valid JSON.');
    }
    const auth = (parsed as { auth?: Record<string, unknown> } | null)?.auth;
    const identity = auth?.identity as
      | { methods?: unknown; password?: { user?: Record<string, unknown> } }
      | undefined;
    const user = identity?.password?.user;
    if (!Array.isArray(identity?.methods) || !identity.methods.includes('password') || !user)
      return errorAnswer('iam', 400, 'IAM.0007', 'Only the password method is supported.');
    const domain = user.domain as { name?: unknown; id?: unknown } | undefined;
    const domainOk = domain?.name === account.domainName || domain?.id === domainId;
    if (user.name !== account.userName || user.password !== account.password || !domainOk)
      return errorAnswer('iam', 401, 'IAM.0062', 'The username or password is wrong.');
    const scope = auth?.scope as { project?: { id?: unknown; name?: unknown }; domain?: unknown } | undefined;
    let projectId: string | undefined;
    if (scope?.project) {
      if (scope.project.id !== account.projectId && scope.project.name !== account.projectName)
        return errorAnswer(
          'iam',
          401,
          'IAM.0001',
          'The project in the scope does not exist or is not accessible.',
        );
      projectId = account.projectId;
    }
    const issuedMs = nowMs();
    const expiresMs = issuedMs + tokenTtlMs;
    const token = `MIIEemulator${randomBytes(48).toString('base64url')}`;
    tokens.set(token, { expiresMs, projectId });
    const micro = (ms: number): string => isoMs(ms).replace('Z', '000Z');
    const domainRef = { id: domainId, name: account.domainName };
    const body: Record<string, unknown> = {
      expires_at: micro(expiresMs),
      issued_at: micro(issuedMs),
      methods: ['password'],
      user: { id: userId, name: account.userName, domain: domainRef, password_expires_at: '' },
      roles: [{ id: '0', name: 'te_admin' }],
      catalog: [],
    };
    if (projectId) body.project = { id: account.projectId, name: account.projectName, domain: domainRef };
    else body.domain = domainRef;
    return { status: 201, body: JSON.stringify({ token: body }), headers: { 'X-Subject-Token': token } };
  };

  const listProjects = (ctx: Context): Answer => {
    const name = ctx.query.get('name');
    const project = {
      id: account.projectId,
      name: account.projectName,
      domain_id: domainId,
      enabled: true,
      description: '',
      is_domain: false,
      parent_id: domainId,
    };
    const projects = name === null || name === account.projectName ? [project] : [];
    return json(200, { projects, links: { self: '/v3/projects', next: null, previous: null } });
  };

  type Paging = { offset: number; limit: number } | Answer;

  const dcsPaging = (query: URLSearchParams): Paging => {
    const offset = intParam(query, 'offset') ?? 0;
    const limit = intParam(query, 'limit') ?? 10;
    if (Number.isNaN(offset)) return errorAnswer('dcs', 400, 'DCS.4800', 'Invalid offset in the request.');
    if (Number.isNaN(limit) || limit < 1 || limit > 1000)
      return errorAnswer('dcs', 400, '111400063', 'Invalid limit parameter in the request.');
    return { offset, limit };
  };

  const dcsTimeFilter = (query: URLSearchParams): ((r: TaskRecord) => boolean) | Answer | undefined => {
    const start = parseDcsTime(query.get('start_time'));
    const end = parseDcsTime(query.get('end_time'));
    if (start === null)
      return errorAnswer('dcs', 400, '111400063', 'Invalid start_time parameter in the request.');
    if (end === null)
      return errorAnswer('dcs', 400, '111400063', 'Invalid end_time parameter in the request.');
    if (start === undefined && end === undefined) return undefined;
    return (r) =>
      r.timeMs !== undefined &&
      (start === undefined || r.timeMs >= start) &&
      (end === undefined || r.timeMs < end + 1000);
  };

  const listDcsInstances = (ctx: Context): Answer => {
    const paging = dcsPaging(ctx.query);
    if ('status' in paging) return paging;
    const all = state.dcsInstances;
    const page = pageWindow(all.length, paging.offset, paging.limit, ctx.faults.pagingQuirk);
    const instances = page.indices.flatMap((i) => {
      const inst = all[i];
      return inst ? [renderDcsInstance(inst)] : [];
    });
    return json(200, { instance_num: page.reportedTotal, instances });
  };

  const listDcsTasks = (ctx: Context, records: () => TaskRecord[] | undefined, center: boolean): Answer => {
    const paging = dcsPaging(ctx.query);
    if ('status' in paging) return paging;
    const filter = dcsTimeFilter(ctx.query);
    if (filter && 'status' in filter) return filter;
    let pick: (i: number) => TaskRecord | undefined;
    let total: number;
    if (center && !filter) {
      total = state.dcsCenter.count();
      pick = (i) => state.dcsCenter.at(i);
    } else {
      const list = records();
      if (!list) return errorAnswer('dcs', 404, 'DCS.3022', 'This DCS instance does not exist.');
      const matching = filter ? list.filter(filter) : list;
      total = matching.length;
      pick = (i) => matching[i];
    }
    const page = pageWindow(total, paging.offset, paging.limit, ctx.faults.pagingQuirk);
    const tasks = page.indices.flatMap((i) => {
      const r = pick(i);
      return r ? [JSON.stringify(renderDcsTask(r, center))] : [];
    });
    // The center listing's schema declares task_count a string; the background example shows a number.
    const count = center ? JSON.stringify(String(page.reportedTotal)) : String(page.reportedTotal);
    return { status: 200, body: `{"task_count":${count},"tasks":[${tasks.join(',')}]}` };
  };

  const deleteDcsTask = (record: TaskRecord | undefined, background: boolean): Answer => {
    if (!record) return errorAnswer('dcs', 404, 'DCS.4001', 'The background task does not exist.');
    // OTC-DCS UMN: only records of tasks in the Successful or Failed state can be deleted.
    if (!DCS_DELETABLE_STATES.has(String(record.state)))
      return errorAnswer(
        'dcs',
        400,
        'DCS.4957',
        'This operation is not allowed when the task is in the current state.',
      );
    state.remove(record.service, record.id);
    recordDeletion(record);
    if (!background) return json(200, {});
    backgroundDeletes++;
    // Both documented answers happen: 200 {"message": ""} and 204, alternating.
    return backgroundDeletes % 2 === 1 ? json(200, { message: '' }) : { status: 204 };
  };

  const listModelArts = (ctx: Context): Answer => {
    const offset = intParam(ctx.query, 'offset') ?? 0;
    const limit = intParam(ctx.query, 'limit') ?? 10;
    const status = intParam(ctx.query, 'status');
    if (Number.isNaN(offset))
      return errorAnswer('modelarts', 400, 'ModelArts.0104', 'Invalid parameter: offset.');
    if (Number.isNaN(limit) || limit < 1 || limit > 100)
      return errorAnswer('modelarts', 400, 'ModelArts.0104', 'Invalid parameter: limit must be 1-100.');
    if (Number.isNaN(status))
      return errorAnswer('modelarts', 400, 'ModelArts.0104', 'Invalid parameter: status.');
    const key = status === undefined ? undefined : String(status);
    // offset is a page index ("start page"): page n holds records n*limit .. n*limit+limit-1.
    const page = pageWindow(state.modelarts.count(key), offset * limit, limit, ctx.faults.pagingQuirk);
    const tasks = page.indices.flatMap((i) => {
      const r = state.modelarts.at(i, key);
      return r ? [JSON.stringify(renderModelArtsTask(r))] : [];
    });
    return { status: 200, body: `{"count":${page.reportedTotal},"tasks":[${tasks.join(',')}]}` };
  };

  const listOms = (ctx: Context): Answer => {
    const offset = intParam(ctx.query, 'offset') ?? 0;
    const limit = intParam(ctx.query, 'limit') ?? 10;
    const status = intParam(ctx.query, 'status');
    if (Number.isNaN(offset) || offset > 2147483647)
      return errorAnswer('oms', 400, 'OMS.0002', 'Invalid parameter: offset must be 0-2147483647.');
    if (Number.isNaN(limit) || limit < 1 || limit > 100)
      return errorAnswer('oms', 400, 'OMS.0002', 'Invalid parameter: limit must be 1-100.');
    if (Number.isNaN(status)) return errorAnswer('oms', 400, 'OMS.0002', 'Invalid parameter: status.');
    const key = status === undefined ? undefined : String(status);
    const page = pageWindow(state.oms.count(key), offset, limit, ctx.faults.pagingQuirk);
    const tasks = page.indices.flatMap((i) => {
      const r = state.oms.at(i, key);
      return r ? [renderOmsTaskJson(r)] : [];
    });
    return { status: 200, body: `{"tasks":[${tasks.join(',')}],"count":${page.reportedTotal}}` };
  };

  const omsTask = (id: string): TaskRecord | undefined => (/^\d+$/.test(id) ? state.oms.get(id) : undefined);
  const omsNotFound = (): Answer => errorAnswer('oms', 400, 'OMS.1009', 'No resources found.');

  const stopOms = (id: string): Answer => {
    const record = omsTask(id);
    if (!record) return omsNotFound();
    if (record.state !== 2) return errorAnswer('oms', 400, 'OMS.0066', 'The task is not running.');
    changeState('oms-migration-tasks', id, 7, undefined, 'request');
    later(omsPauseDelayMs, () => {
      if (state.oms.get(id)?.state === 7) changeState('oms-migration-tasks', id, 3, undefined, 'request');
    });
    return { status: 200 };
  };

  const deleteOms = (id: string): Answer => {
    const record = omsTask(id);
    if (!record) return omsNotFound();
    if (typeof record.state === 'number' && OMS_UNDELETABLE_STATES.has(record.state))
      return errorAnswer('oms', 400, 'OMS.0063', 'The task is in progress and cannot be deleted.');
    state.remove('oms-migration-tasks', id);
    recordDeletion(record);
    return { status: 200 };
  };

  const listStreams = (ctx: Context): Answer => {
    const limit = intParam(ctx.query, 'limit') ?? 10;
    if (Number.isNaN(limit) || limit < 1 || limit > 100)
      return errorAnswer('dis', 400, 'DIS.4200', 'Invalid request. [limit must be 1-100]');
    const startName = ctx.query.get('start_stream_name');
    let start = startName === null || startName === '' ? 0 : state.streamIndexAfter(startName);
    const quirk = ctx.faults.pagingQuirk;
    // Offsets here are positions in the name-sorted stream list; quirks shift the exclusive start.
    if (startName && quirk === 'repeat') start = Math.max(0, start - 1);
    if (startName && quirk === 'lose') start += 1;
    const page = pageWindow(
      state.disStreams.length,
      start,
      limit,
      quirk === 'repeat' || quirk === 'lose' ? undefined : quirk,
    );
    const streams = page.indices.flatMap((i) => {
      const s = state.disStreams[i];
      return s ? [s] : [];
    });
    return json(200, {
      total_number: page.reportedTotal,
      stream_names: streams.map((s) => s.name),
      stream_info_list: streams.map(renderStream),
      has_more_streams: page.hasMore,
    });
  };

  const streamNotFound = (): Answer => errorAnswer('dis', 400, 'DIS.4301', 'The stream does not exist.');
  const transferNotFound = (): Answer =>
    errorAnswer('dis', 400, 'DIS.4354', 'The transfer task does not exist.');

  const listTransferTasks = (ctx: Context, stream: string): Answer => {
    const list = state.disTasks.get(stream);
    if (!list) return streamNotFound();
    let tasks = list.map(renderDisTask);
    let total = tasks.length;
    const quirk = ctx.faults.pagingQuirk;
    const first = tasks[0];
    if ((quirk === 'repeat' || quirk === 'over-limit') && first) tasks = [...tasks, first];
    if (quirk === 'lose') tasks = tasks.slice(0, -1);
    if (quirk === 'count-mismatch') total += 3;
    return json(200, { total_number: total, quota: 5, tasks });
  };

  const dispatch = (ctx: Context): Answer => {
    const p = ctx.route.params;
    const a = p[0] ?? '';
    const b = p[1] ?? '';
    switch (ctx.route.operation) {
      case 'CreateToken':
        return createToken(ctx);
      case 'ListProjects':
        return listProjects(ctx);
      case 'ListInstances':
        return listDcsInstances(ctx);
      case 'ListBackgroundTasks':
        return listDcsTasks(ctx, () => state.dcsBackground.get(a), false);
      case 'DeleteBackgroundTask': {
        if (!state.dcsInstanceById.has(a))
          return errorAnswer('dcs', 404, 'DCS.3022', 'This DCS instance does not exist.');
        const record = state.dcsBackgroundById.get(b);
        return deleteDcsTask(record?.parentId === a ? record : undefined, true);
      }
      case 'ListCenterTasks':
        return listDcsTasks(ctx, () => [...state.dcsCenter.values()], true);
      case 'DeleteCenterTask': {
        if (ctx.body.length > 0) {
          try {
            const parsed: unknown = JSON.parse(ctx.body.toString('utf8'));
            if (typeof parsed !== 'object' || parsed === null) throw new TypeError('not an object');
          } catch {
            return errorAnswer('dcs', 400, '111400063', 'Invalid body parameter in the request.');
          }
        }
        return deleteDcsTask(state.dcsCenter.get(a), false);
      }
      case 'ListProcessorTasks':
        return listModelArts(ctx);
      case 'ShowProcessorTask': {
        const record = state.modelarts.get(a);
        return record
          ? json(200, renderModelArtsTask(record))
          : errorAnswer('modelarts', 400, 'ModelArts.4700', 'Task does not exist.');
      }
      case 'DeleteProcessorTask': {
        const record = state.modelarts.get(a);
        if (!record) return errorAnswer('modelarts', 400, 'ModelArts.4700', 'Task does not exist.');
        state.remove('modelarts-processor-tasks', a);
        recordDeletion(record);
        return json(200, {});
      }
      case 'ListMigrationTasks':
        return listOms(ctx);
      case 'ShowMigrationTask': {
        const record = omsTask(a);
        return record ? { status: 200, body: renderOmsTaskJson(record) } : omsNotFound();
      }
      case 'StopMigrationTask':
        return stopOms(a);
      case 'DeleteMigrationTask':
        return deleteOms(a);
      case 'ListStreams':
        return listStreams(ctx);
      case 'ListTransferTasks':
        return listTransferTasks(ctx, a);
      case 'ShowTransferTask': {
        if (!state.disTasks.has(a)) return streamNotFound();
        const record = state.findDisTask(b, a);
        return record ? json(200, renderDisTaskDetails(record)) : transferNotFound();
      }
      case 'DeleteTransferTask': {
        if (!state.disTasks.has(a)) return streamNotFound();
        const record = state.findDisTask(b, a);
        if (!record) return transferNotFound();
        state.remove('dis-dump-tasks', b, a);
        recordDeletion(record);
        return { status: 204 };
      }
      case 'Unknown':
        return errorAnswer(
          ctx.service,
          404,
          'APIG.0101',
          'The API does not exist or has not been published in the environment.',
        );
    }
  };

  // ---- request pipeline -----------------------------------------------------------------------------------

  const serverErrorCode = (service: CloudService, status: number): string => {
    if (status !== 500) return 'APIG.0201';
    return {
      iam: 'IAM.0006',
      dcs: '111500000',
      modelarts: 'ModelArts.0010',
      oms: 'OMS.0001',
      dis: 'DIS.5000',
    }[service];
  };

  const serviceError = (service: CloudService, status: number): Answer => {
    const code = serverErrorCode(service, status);
    const message =
      status === 500
        ? 'Internal server error.'
        : status === 502
          ? 'Backend unavailable.'
          : 'Service unavailable.';
    // In the service's own shape even for the gateway-style code.
    if (service === 'dcs')
      return {
        status,
        body: JSON.stringify({ error_code: code, error_msg: message, error_ext_msg: null }),
        errorCode: code,
      };
    if (service === 'dis')
      return { status, body: JSON.stringify({ errorCode: code, message }), errorCode: code };
    if (service === 'iam')
      return {
        status,
        body: JSON.stringify({ error: { code: status, message, title: STATUS_TITLES[status] } }),
        errorCode: code,
      };
    return { status, body: JSON.stringify({ error_code: code, error_msg: message }), errorCode: code };
  };

  const handle = (service: CloudService, req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const rawTarget = req.url ?? '/';
    const method = req.method ?? 'GET';
    const q = rawTarget.indexOf('?');
    const rawPath = q < 0 ? rawTarget : rawTarget.slice(0, q);
    const segments = decodeSegments(rawPath);
    const r: Route = segments ? route(service, method, segments) : { operation: 'Unknown', params: [] };
    const entry: RequestLogEntry = {
      service,
      operation: r.operation,
      method,
      rawPath: rawTarget,
      status: 0,
      atMs: Date.now(),
      hasCredentialHeaders: carriesCredentials(req),
    };
    log.push(entry);
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const authorization = header('authorization');
    const xAuthToken = header('x-auth-token');
    const xSecurityToken = header('x-security-token');
    if (authorization !== undefined || xAuthToken !== undefined || xSecurityToken !== undefined) {
      authHeaderLog.push({
        operation: r.operation,
        ...(authorization !== undefined ? { authorization } : {}),
        ...(xAuthToken !== undefined ? { xAuthToken } : {}),
        ...(xSecurityToken !== undefined ? { xSecurityToken } : {}),
      });
    }
    const requestId = randomUUID().replace(/-/g, '');
    const fx = faults.resolve(service, r.operation);
    const ctx: Context = {
      service,
      route: r,
      query: new URLSearchParams(q < 0 ? '' : rawTarget.slice(q + 1)),
      body,
      faults: fx,
      projectId: r.projectId,
    };

    const send = (original: Answer, fault?: RequestLogEntry['fault']): void => {
      const answer = shapeError(service, original, fx);
      let text = answer.body;
      let kind = fault;
      if (
        !kind &&
        answer.status >= 200 &&
        answer.status < 300 &&
        text &&
        faultRng.chance(fx.malformedShare ?? 0)
      ) {
        // Alternate between a truncated body and a syntactically broken one.
        text = faultRng.chance(0.5)
          ? text.slice(0, Math.max(1, Math.floor(text.length / 2)))
          : `${text.slice(0, -1)},}`;
        kind = 'malformed';
      }
      const latency = (fx.latencyMs ?? 0) + (fx.latencyJitterMs ? faultRng.next() * fx.latencyJitterMs : 0);
      if (!kind && latency > 0) kind = 'latency';
      entry.status = answer.status;
      if (answer.errorCode) entry.errorCode = answer.errorCode;
      if (kind) entry.fault = kind;
      const resume = resumeAfterFailedDelete(r, fx, answer, entry);
      const write = (): void => {
        if (res.destroyed || closing) return;
        entry.answeredAtMs = Date.now();
        const headers: Record<string, string | number> = { 'X-Request-Id': requestId, ...answer.headers };
        if (text !== undefined) {
          headers['Content-Type'] = answer.contentType ?? 'application/json;charset=UTF-8';
          headers['Content-Length'] = Buffer.byteLength(text);
        } else if (answer.status !== 204) headers['Content-Length'] = 0;
        res.writeHead(answer.status, headers);
        res.end(text);
        resume?.();
      };
      if (latency > 0) later(latency, write);
      else write();
    };

    if (fx.outage) {
      send(serviceError(service, 503), 'outage');
      return;
    }
    if (faultRng.chance(fx.resetShare ?? 0)) {
      entry.fault = 'reset';
      req.socket.destroy();
      return;
    }
    if (faultRng.chance(fx.hangShare ?? 0)) {
      entry.fault = 'hang';
      return; // never answered; close() destroys the socket
    }
    const throttled = (fault: 'rate-limit' | 'throttle', retryAfterS: number, limit: number): void => {
      const answer =
        service === 'iam'
          ? errorAnswer(
              service,
              429,
              'IAM.0012',
              `The throttling threshold has been reached. Threshold: ${limit} times per 1 seconds`,
            )
          : errorAnswer(
              service,
              429,
              'APIG.0308',
              `The throttling threshold has been reached: policy ip over ratelimit, limit:${limit}, time:1 second`,
              requestId,
            );
      answer.headers = { 'Retry-After': String(retryAfterS) };
      if (service === 'iam')
        answer.body = JSON.stringify({
          error_code: 'IAM.0012',
          error_msg: JSON.parse(answer.body ?? '{}').error?.message,
        });
      send(answer, fault);
    };
    if (fx.rateLimitPerSecond !== undefined && fx.rateLimitKey !== undefined) {
      const retryAfter = faults.takeToken(fx.rateLimitKey, fx.rateLimitPerSecond, Date.now());
      if (retryAfter !== undefined) {
        throttled('rate-limit', retryAfter, Math.ceil(fx.rateLimitPerSecond));
        return;
      }
    }
    if (faultRng.chance(fx.throttleShare ?? 0)) {
      throttled('throttle', 1, Math.ceil(fx.rateLimitPerSecond ?? 1));
      return;
    }
    if (faultRng.chance(fx.serverErrorShare ?? 0)) {
      send(serviceError(service, faultRng.pick([500, 502, 503])), 'server-error');
      return;
    }
    /** Authenticates and carries the request out; the answer is the backend's. */
    const carryOut = (): Answer => {
      if (r.operation === 'Unknown') return dispatch(ctx);
      if (r.operation !== 'CreateToken') {
        const auth = authenticate(ctx, req);
        entry.auth = auth.kind;
        if (auth.failure) return auth.failure;
      } else entry.auth = 'none';
      return dispatch(ctx);
    };
    if (injectAnswerFault({ service, rawTarget, requestId, fx, entry, send, carryOut, socket: req.socket }))
      return;
    send(carryOut());
  };

  interface AnswerFaultCall {
    service: CloudService;
    rawTarget: string;
    requestId: string;
    fx: ResolvedFaults;
    entry: RequestLogEntry;
    send: (answer: Answer, fault: RequestLogEntry['fault']) => void;
    carryOut: () => Answer;
    socket: Socket;
  }

  /** Redirects, proxy 404s, 403s, 408s, gateway timeouts and lost answers; true when one was injected. */
  const injectAnswerFault = (c: AnswerFaultCall): boolean => {
    const { fx, entry } = c;
    if (faultRng.chance(fx.redirectShare ?? 0)) {
      const origin = fx.redirectLocation === 'absolute-external' ? EXTERNAL_REDIRECT_ORIGIN : foreignUrl;
      const location = `${origin}${c.rawTarget}`;
      entry.location = location;
      c.send({ status: fx.redirectStatus ?? 307, headers: { Location: location } }, 'redirect');
      return true;
    }
    if (faultRng.chance(fx.proxyNotFoundShare ?? 0)) {
      c.send(
        { status: 404, body: PROXY_NOT_FOUND_HTML, contentType: 'text/html', headers: { Server: 'nginx' } },
        'proxy-not-found',
      );
      return true;
    }
    if (faultRng.chance(fx.forbiddenShare ?? 0)) {
      c.send(forbiddenAnswer(c.service, c.requestId), 'forbidden');
      return true;
    }
    if (faultRng.chance(fx.requestTimeoutShare ?? 0)) {
      c.send(errorAnswer(c.service, 408, 'APIG.0201', 'Request timeout.', c.requestId), 'request-timeout');
      return true;
    }
    if (faultRng.chance(fx.gatewayTimeoutShare ?? 0)) {
      const acted = faultRng.chance(fx.gatewayTimeoutActsShare ?? 0.5);
      entry.acted = acted;
      if (acted) entry.backendStatus = c.carryOut().status;
      c.send(errorAnswer(c.service, 504, 'APIG.0203', 'Backend timeout.', c.requestId), 'gateway-timeout');
      return true;
    }
    if (faultRng.chance(fx.lostAnswerShare ?? 0)) {
      entry.backendStatus = c.carryOut().status;
      entry.fault = 'lost-answer';
      c.socket.destroy();
      return true;
    }
    return false;
  };

  /** The DIS host answers errors in either documented shape (`disErrorShape`); gateway answers keep theirs. */
  const shapeError = (service: CloudService, answer: Answer, fx: ResolvedFaults): Answer => {
    const shape = fx.disErrorShape ?? 'errorCode';
    if (service !== 'dis' || answer.status < 400 || shape === 'errorCode') return answer;
    const snake = snakeDisError(answer);
    // Not in the DIS shape (a gateway answer): no draw, so the gateway's answers do not shift the sequence.
    if (snake === answer) return answer;
    if (shape === 'mixed' && !faultRng.chance(0.5)) return answer;
    return snake;
  };

  /**
   * Draws, for an injected failure answer to a delete, whether the owner resumes the task; the returned
   * function flips it to in-progress, to be called right after the answer is written.
   */
  const resumeAfterFailedDelete = (
    r: Route,
    fx: ResolvedFaults,
    answer: Answer,
    entry: RequestLogEntry,
  ): (() => void) | undefined => {
    const target = deleteTargetOf(r);
    if (!target || answer.status < 400 || !FAILED_DELETE_FAULTS.has(entry.fault)) return undefined;
    // A 504 whose backend acted has carried the delete out (or refused it): nothing left to resume.
    if (entry.acted === true) return undefined;
    if (!faultRng.chance(fx.resumeOnFailedDeleteShare ?? 0)) return undefined;
    return () => {
      const record = state.find(target.service, target.id, target.parentId);
      // A DCS background task is addressed under its instance; another instance's task of that id is not it.
      if (!record || (target.service === 'dcs-background-tasks' && record.parentId !== target.parentId))
        return;
      changeState(
        target.service,
        target.id,
        IN_PROGRESS_STATE[target.service],
        target.parentId,
        'fault',
        entry.fault,
      );
    };
  };

  // ---- listeners ------------------------------------------------------------------------------------------

  const servers = new Map<CloudService, Server>();
  const urls = {} as Record<CloudService, string>;
  const portBase = options.portBase ?? 0;

  /**
   * "Another host" for the client: a loopback listener on its own port that injected redirects point at. It
   * answers every request with a plausible success and records it with its credential headers.
   */
  const startForeignListener = async (): Promise<Server> => {
    const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
      const header = (name: string): string | undefined => {
        const value = req.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const record: ForeignRequest = {
        method: req.method ?? 'GET',
        rawPath: req.url ?? '/',
        atMs: Date.now(),
        hasCredentialHeaders: carriesCredentials(req),
      };
      const host = header('host');
      const authorization = header('authorization');
      const xAuthToken = header('x-auth-token');
      const xSecurityToken = header('x-security-token');
      if (host !== undefined) record.host = host;
      if (authorization !== undefined) record.authorization = authorization;
      if (xAuthToken !== undefined) record.xAuthToken = xAuthToken;
      if (xSecurityToken !== undefined) record.xSecurityToken = xSecurityToken;
      foreignLog.push(record);
      req.resume();
      req.on('end', () => {
        if (res.destroyed || closing) return;
        const text = foreignAnswerBody(record.method);
        res.writeHead(200, {
          'Content-Type': 'application/json;charset=UTF-8',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
      });
    });
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    foreignUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return server;
  };
  let foreignServer: Server | undefined;
  try {
    for (const [i, service] of CLOUD_SERVICES.entries()) {
      const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => handle(service, req, res, Buffer.concat(chunks)));
      });
      server.on('connection', (socket: Socket) => {
        connections[service]++;
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      servers.set(service, server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(portBase === 0 ? 0 : portBase + i, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      urls[service] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    foreignServer = await startForeignListener();
  } catch (error) {
    for (const server of servers.values()) server.close();
    throw error;
  }

  const toEmulated = (record: TaskRecord): EmulatedTask => {
    const fields = ((): Record<string, unknown> => {
      switch (record.service) {
        case 'dcs-background-tasks':
          return renderDcsTask(record, false);
        case 'dcs-center-tasks':
          return renderDcsTask(record, true);
        case 'modelarts-processor-tasks':
          return renderModelArtsTask(record);
        case 'oms-migration-tasks':
          return {
            ...(JSON.parse(renderOmsTaskJson({ ...record, id: '0' })) as Record<string, unknown>),
            id: record.id,
          };
        case 'dis-dump-tasks':
          return renderDisTask(record);
      }
    })();
    const out: EmulatedTask = {
      service: record.service,
      id: record.id,
      name: record.name,
      state: record.state,
      fields,
    };
    if (record.parentId !== undefined) out.parentId = record.parentId;
    return out;
  };

  const TIME_FIELD: Record<ServiceId, string> = {
    'dcs-center-tasks': 'created_at',
    'dcs-background-tasks': 'created_at',
    'modelarts-processor-tasks': 'create_time',
    'oms-migration-tasks': 'start_time',
    'dis-dump-tasks': 'create_time',
  };

  const addTask = (task: Partial<EmulatedTask> & { service: ServiceId }): EmulatedTask => {
    const { service } = task;
    const extra: Record<string, unknown> = { ...task.fields };
    const rawTime = extra[TIME_FIELD[service]];
    delete extra[TIME_FIELD[service]];
    let timeMs: number | undefined = nowMs() - 30 * 86_400_000;
    if (task.fields && TIME_FIELD[service] in task.fields) {
      timeMs =
        typeof rawTime === 'number' ? rawTime : typeof rawTime === 'string' ? Date.parse(rawTime) : undefined;
      if (timeMs !== undefined && Number.isNaN(timeMs))
        throw new TypeError(`addTask: unparseable ${TIME_FIELD[service]}`);
    }
    const defaults: Record<ServiceId, () => { id: string; state: string | number }> = {
      'dcs-center-tasks': () => ({ id: state.hexId(), state: 'SUCCESS' }),
      'dcs-background-tasks': () => ({ id: state.hexId(), state: 'SUCCESS' }),
      'modelarts-processor-tasks': () => ({ id: `added${state.hexId().slice(0, 14)}`, state: 2 }),
      'oms-migration-tasks': () => ({
        id: String(291297407830872 + state.oms.size + deletions.length),
        state: 5,
      }),
      'dis-dump-tasks': () => ({ id: `added-dump-${state.hexId().slice(0, 8)}`, state: 'PAUSED' }),
    };
    const generated = defaults[service]();
    const id = task.id ?? generated.id;
    if (service === 'oms-migration-tasks' && !/^\d+$/.test(id))
      throw new TypeError('addTask: OMS ids are decimal digits');
    let parentId = task.parentId;
    if (service === 'dcs-background-tasks') {
      parentId ??= state.dcsInstances[0]?.instanceId;
      if (parentId === undefined || !state.dcsInstanceById.has(parentId)) {
        const instanceId = parentId ?? state.uuid();
        state.addInstance({
          instanceId,
          name: `dcs-${instanceId.slice(0, 8)}`,
          status: 'RUNNING',
          createdMs: nowMs() - 200 * 86_400_000,
        });
        parentId = instanceId;
      }
    }
    if (service === 'dis-dump-tasks') {
      parentId ??= state.disStreams[0]?.name ?? 'dis-stream-added';
      if (!state.disTasks.has(parentId)) {
        state.addStream({
          name: parentId,
          streamId: state.hexId().slice(0, 19),
          createdMs: nowMs() - 200 * 86_400_000,
          status: 'RUNNING',
        });
      }
      if ((state.disTasks.get(parentId)?.length ?? 0) >= 5)
        throw new RangeError(`addTask: DIS stream ${parentId} already has 5 dump tasks`);
    }
    const record = state.makeRecord(service, {
      id,
      name:
        task.name ??
        (service === 'oms-migration-tasks'
          ? `oms-added-${id}`
          : service === 'modelarts-processor-tasks'
            ? `added-${id.slice(5, 10)}`
            : 'EXTEND'),
      state: task.state ?? generated.state,
      parentId,
      timeMs,
      durationMs: 60_000,
      extra: Object.keys(extra).length > 0 ? extra : undefined,
    });
    if (state.find(service, id, parentId)) throw new Error(`addTask: ${service} task ${id} already exists`);
    switch (service) {
      case 'dcs-background-tasks':
        state.insertDcsBackground(record);
        break;
      case 'dcs-center-tasks':
        state.dcsCenter.push(record);
        break;
      case 'modelarts-processor-tasks':
        state.modelarts.push(record);
        break;
      case 'oms-migration-tasks':
        state.oms.push(record);
        break;
      case 'dis-dump-tasks':
        state.insertDisTask(record);
        break;
    }
    return toEmulated(record);
  };

  const emulator: Emulator = {
    urls: Object.freeze({ ...urls }),
    account,
    endpointEnv: () => ({
      TASK_JANITOR_ENDPOINT_IAM: urls.iam,
      TASK_JANITOR_ENDPOINT_DCS: urls.dcs,
      TASK_JANITOR_ENDPOINT_MODELARTS: urls.modelarts,
      TASK_JANITOR_ENDPOINT_OMS: urls.oms,
      TASK_JANITOR_ENDPOINT_DIS: urls.dis,
      TASK_JANITOR_REGION: account.region,
      TASK_JANITOR_PROJECT_ID: account.projectId,
      OS_USERNAME: account.userName,
      OS_PASSWORD: account.password,
      OS_DOMAIN_NAME: account.domainName,
    }),
    tasks: (service) => [...state.all(service)].map(toEmulated),
    addTask,
    setTaskState: (service, id, wireState, parentId) => {
      if (!changeState(service, id, wireState, parentId, 'api'))
        throw new RangeError(`setTaskState: no ${service} task ${id}`);
    },
    removeTask: (service, id, parentId) => {
      if (!state.remove(service, id, parentId)) throw new RangeError(`removeTask: no ${service} task ${id}`);
    },
    deletions: () => deletions.map((d) => ({ ...d })),
    stateChanges: () => stateChanges.map((c) => ({ ...c })),
    setFaults: (target: FaultTarget, settings: FaultSettings) => faults.set(target, settings),
    clearFaults: () => faults.clear(),
    requestLog: () => log.map((e) => ({ ...e })),
    clearRequestLog: () => {
      log.length = 0;
      authHeaderLog.length = 0;
    },
    receivedAuthHeaders: () => authHeaderLog.map((e) => ({ ...e })),
    connectionCount: (service) => connections[service],
    foreignUrl,
    foreignRequests: () => foreignLog.map((r) => ({ ...r })),
    close: async () => {
      if (closing) return;
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = [...servers.values(), ...(foreignServer ? [foreignServer] : [])].map(
        (server) => new Promise<void>((resolve) => server.close(() => resolve())),
      );
      for (const socket of sockets) socket.destroy();
      await Promise.all(closed);
    },
  };
  return emulator;
}

/** The cloud host a task API lives on. */
export function cloudServiceOf(service: ServiceId): CloudService {
  return SERVICE_OF_TASK[service];
}
