import type { SourceDescriptor } from '../descriptor';

/** The background tasks of DCS instances. */
export const dcsBackgroundTasksDescriptor = {
  id: 'dcs-background-tasks',
  title: 'DCS instance background tasks',
  host: 'dcs',
  clouds: ['huaweicloud', 'otc'],
  scope: 'project',
  deletePath: 'DELETE /v2/{project_id}/instances/{instance_id}/tasks/{task_id}',
  paging:
    "instances by record offset (limit ≤ 1000, `instance_num`), then each instance's tasks likewise (`task_count`)",
  states: { deletable: ['SUCCESS', 'FAILED', 'FAIL'], inProgress: ['EXECUTING'] },
  parent: { kind: 'DCS instance', policyKey: 'instances' },
  ageLabel: 'end time, else creation',
  ageFrom: 'end time (`updated_at`), else creation (`created_at`) when there is no end time',
  refusesInProgress: true,
  answers: {
    // "This DCS instance does not exist": its background tasks are gone with it.
    notFound: [{ status: 404, codes: ['DCS.3022', '111404022'] }],
    inProgress: [{ status: 400, codes: ['DCS.4957', 'DCS.4017', '111400017'] }],
    ambiguousNotFound: [
      { status: 404, codes: ['DCS.4001', '111404001'] },
      { status: 400, codes: ['DCS.4070', '111400070'] },
    ],
  },
  throttlingCodes: [],
  tokenExpiredCodes: ['DCS.1002', '111401002'],
  operations: { list: 'ListBackgroundTasks', delete: 'DeleteBackgroundTask' },
  permissions: ['dcs:instance:list', 'dcs:instance:getBackgroundTask', 'dcs:instance:deleteBackgroundTask'],
} as const satisfies SourceDescriptor;
