/**
 * IAM: password tokens (`POST /v3/auth/tokens`, 201 with `X-Subject-Token`) scoped to any enabled project of
 * the account, and the project list (`GET /v3/projects`, every project of the account, `name` filtering exactly,
 * `page`/`per_page` paging). Errors in keystone's shape, `{"error": {"code", "message", "title"}}`. One IAM
 * serves the account: every region's IAM host answers the same.
 */
import { type Answer, json } from '../answers';
import { isoMs, USER_ID } from './kit';
import type { ListedProject, ServiceContext, ServiceModule, ServiceRuntime } from './types';

export const IAM_SPEC = {
  host: 'iam',
  accountWide: true,
  taskApis: [],
  operations: [
    { name: 'CreateToken', method: 'POST', path: '/v3/auth/tokens', anonymous: true },
    { name: 'ListProjects', method: 'GET', path: '/v3/projects' },
  ],
} as const;

export const DOMAIN_ID = '5e2a8c0f1b3d4e6f8a0b2c4d6e8f0a1b';

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

const iamError = (status: number, _code: string, message: string): unknown => ({
  error: { code: status, message, title: STATUS_TITLES[status] ?? 'Error' },
});

function errorAnswer(status: number, code: string, message: string): Answer {
  return { status, body: JSON.stringify(iamError(status, code, message)), errorCode: code };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

const field = (value: unknown, name: string): unknown => (isRecord(value) ? value[name] : undefined);

/** The project a password request is scoped to (by id or name): undefined for a domain scope, or an error. */
function scopedProject(ctx: ServiceContext, scope: unknown): ListedProject | undefined | Answer {
  const project = field(scope, 'project');
  if (!project) return undefined;
  const id = field(project, 'id');
  const name = field(project, 'name');
  const found = ctx.projects.find((p) => (id !== undefined ? p.id === id : p.name === name));
  if (!found?.enabled || found.accessDenied)
    return errorAnswer(401, 'IAM.0001', 'The project in the scope does not exist or is not accessible.');
  return found;
}

function createToken(ctx: ServiceContext, body: Buffer): Answer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return errorAnswer(400, 'IAM.0007', 'The request body is not valid JSON.');
  }
  const auth = field(parsed, 'auth');
  const identity = field(auth, 'identity');
  const methods = field(identity, 'methods');
  const user = field(field(identity, 'password'), 'user');
  if (!Array.isArray(methods) || !methods.includes('password') || !user)
    return errorAnswer(400, 'IAM.0007', 'Only the password method is supported.');
  const { account } = ctx;
  const domain = field(user, 'domain');
  const domainOk = field(domain, 'name') === account.domainName || field(domain, 'id') === DOMAIN_ID;
  if (field(user, 'name') !== account.userName || field(user, 'password') !== account.password || !domainOk)
    return errorAnswer(401, 'IAM.0062', 'The username or password is wrong.');
  const project = scopedProject(ctx, field(auth, 'scope'));
  if (project !== undefined && 'status' in project) return project;
  const issued = ctx.tokens.issue(project?.id, ctx.nowMs(), ctx.tokenTtlMs);
  const micro = (ms: number): string => isoMs(ms).replace('Z', '000Z');
  const domainRef = { id: DOMAIN_ID, name: account.domainName };
  const token: Record<string, unknown> = {
    expires_at: micro(issued.expiresMs),
    issued_at: micro(issued.issuedMs),
    methods: ['password'],
    user: { id: USER_ID, name: account.userName, domain: domainRef, password_expires_at: '' },
    roles: [{ id: '0', name: 'te_admin' }],
    catalog: [],
  };
  if (project) token.project = { id: project.id, name: project.name, domain: domainRef };
  else token.domain = domainRef;
  return { status: 201, body: JSON.stringify({ token }), headers: { 'X-Subject-Token': issued.token } };
}

/** IAM's largest page. */
const MAX_PER_PAGE = 5000;

/** A positive integer query parameter up to `max`; `fallback` when absent, undefined when invalid. */
function positive(query: URLSearchParams, name: string, fallback: number, max: number): number | undefined {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  return value >= 1 && value <= max ? value : undefined;
}

function listProjects(ctx: ServiceContext, query: URLSearchParams): Answer {
  const name = query.get('name');
  const page = positive(query, 'page', 1, 1_000_000);
  const perPage = positive(query, 'per_page', MAX_PER_PAGE, MAX_PER_PAGE);
  // The documentation has each of the two used together with the other.
  const alone = query.has('page') !== query.has('per_page');
  if (page === undefined || perPage === undefined || alone)
    return errorAnswer(
      400,
      'IAM.0007',
      `page (at least 1) and per_page (1 to ${MAX_PER_PAGE}) are used together.`,
    );
  const matching = ctx.projects.filter((p) => name === null || p.name === name);
  const projects = matching.slice((page - 1) * perPage, page * perPage).map((p) => ({
    id: p.id,
    name: p.name,
    domain_id: DOMAIN_ID,
    enabled: p.enabled,
    description: '',
    is_domain: false,
    parent_id: DOMAIN_ID,
  }));
  const next = page * perPage < matching.length ? `/v3/projects?page=${page + 1}&per_page=${perPage}` : null;
  return json(200, { projects, links: { self: '/v3/projects', next, previous: null } });
}

function start(ctx: ServiceContext): ServiceRuntime<typeof IAM_SPEC> {
  return {
    handlers: {
      CreateToken: (r) => createToken(ctx, r.body),
      ListProjects: (r) => listProjects(ctx, r.query),
    },
    stores: [],
    seed: () => {},
  };
}

export const iamModule: ServiceModule<typeof IAM_SPEC> = {
  spec: IAM_SPEC,
  errors: {
    body: iamError,
    internalErrorCode: 'IAM.0006',
    // IAM's own throttling answer: a flat body, unlike its other errors.
    throttled: (limit) => ({
      status: 429,
      body: JSON.stringify({
        error_code: 'IAM.0012',
        error_msg:
          limit === undefined
            ? 'The throttling threshold has been reached.'
            : `The throttling threshold has been reached. Threshold: ${limit} times per 1 seconds`,
      }),
      errorCode: 'IAM.0012',
    }),
  },
  start,
};
