import type { SourceDescriptor } from '../descriptor';

/**
 * The DCS task center. Only Huawei Cloud documents its list; Open Telekom Cloud documents the DELETE alone (a
 * policy that names it there gets the list's 404, reported as "not available on this cloud").
 */
export const dcsCenterTasksDescriptor = {
  id: 'dcs-center-tasks',
  title: 'DCS task center',
  host: 'dcs',
  clouds: ['huaweicloud'],
  scope: 'project',
  deletePath: 'DELETE /v2/{project_id}/tasks/{task_id}',
  paging: 'record offset, limit ≤ 1000, total in `task_count` (a string)',
  // DCS documents no status enumeration: only the observed terminal ones are deletable.
  states: { deletable: ['SUCCESS', 'FAILED', 'FAIL'], inProgress: ['EXECUTING'] },
  ageLabel: 'end time, else creation',
  ageFrom: 'end time (`updated_at`), else creation (`created_at`) when there is no end time',
  refusesInProgress: true,
  answers: {
    notFound: [],
    inProgress: [{ status: 400, codes: ['DCS.4957', 'DCS.4017', '111400017'] }],
    // No task-not-found code is documented: "the requested URL does not exist" or "invalid task ID format".
    ambiguousNotFound: [
      { status: 404, codes: ['DCS.4001', '111404001'] },
      { status: 400, codes: ['DCS.4070', '111400070'] },
    ],
  },
  throttlingCodes: [],
  tokenExpiredCodes: ['DCS.1002', '111401002'],
  operations: { list: 'ListCenterTasks', delete: 'DeleteCenterTask' },
  permissions: ['dcs:task:list', 'dcs:task:delete'],
} as const satisfies SourceDescriptor;
