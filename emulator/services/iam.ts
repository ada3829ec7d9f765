/**
 * IAM: password tokens (`POST /v3/auth/tokens`, 201 with `X-Subject-Token`) and the project list
 * (`GET /v3/projects?name=`). Errors in keystone's shape, `{"error": {"code", "message", "title"}}`.
 */
import { type Answer, json } from '../answers';
import { isoMs, USER_ID } from './kit';
import type { ServiceContext, ServiceModule, ServiceRuntime } from './types';

export const IAM_SPEC = {
  host: 'iam',
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

/** The project a password request is scoped to: undefined for a domain scope, or an error answer. */
function scopedProject(ctx: ServiceContext, scope: unknown): string | undefined | Answer {
  const project = field(scope, 'project');
  if (!project) return undefined;
  const { account } = ctx;
  if (field(project, 'id') !== account.projectId && field(project, 'name') !== account.projectName)
    return errorAnswer(401, 'IAM.0001', 'The project in the scope does not exist or is not accessible.');
  return account.projectId;
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
  const projectId = scopedProject(ctx, field(auth, 'scope'));
  if (typeof projectId === 'object') return projectId;
  const issued = ctx.tokens.issue(projectId, ctx.nowMs(), ctx.tokenTtlMs);
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
  if (projectId) token.project = { id: account.projectId, name: account.projectName, domain: domainRef };
  else token.domain = domainRef;
  return { status: 201, body: JSON.stringify({ token }), headers: { 'X-Subject-Token': issued.token } };
}

function listProjects(ctx: ServiceContext, query: URLSearchParams): Answer {
  const { account } = ctx;
  const name = query.get('name');
  const project = {
    id: account.projectId,
    name: account.projectName,
    domain_id: DOMAIN_ID,
    enabled: true,
    description: '',
    is_domain: false,
    parent_id: DOMAIN_ID,
  };
  const projects = name === null || name === account.projectName ? [project] : [];
  return json(200, { projects, links: { self: '/v3/projects', next: null, previous: null } });
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
