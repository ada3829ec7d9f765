import type { SourceDescriptor } from '../descriptor';

/** OMS (Object Storage Migration Service) migration tasks: Huawei Cloud only. */
export const omsMigrationTasksDescriptor = {
  id: 'oms-migration-tasks',
  title: 'OMS migration tasks',
  host: 'oms',
  clouds: ['huaweicloud'],
  scope: 'project',
  deletePath: 'DELETE /v2/{project_id}/tasks/{task_id}',
  paging: 'record offset, limit ≤ 100, `count`; ids are int64 JSON numbers, read losslessly',
  states: {
    deletable: ['paused', 'failed', 'succeeded'],
    inProgress: ['pending', 'waiting', 'executing', 'retrying', 'pausing'],
  },
  ageLabel: 'end time',
  ageFrom: '`start_time` + `total_time` (there is no creation or end time field)',
  // OMS.0063: "the task is in progress"; it is skipped, never stopped.
  refusesInProgress: true,
  answers: {
    notFound: [{ status: 400, codes: ['OMS.1009'] }],
    inProgress: [{ status: 400, codes: ['OMS.0063'] }],
  },
  throttlingCodes: [],
  tokenExpiredCodes: [],
  operations: { list: 'ListMigrationTasks', read: 'ShowMigrationTask', delete: 'DeleteMigrationTask' },
  permissions: ['oms:task:list', 'oms:task:get', 'oms:task:delete'],
} as const satisfies SourceDescriptor;
