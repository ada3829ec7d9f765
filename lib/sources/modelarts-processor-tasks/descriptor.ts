import type { SourceDescriptor } from '../descriptor';

/** ModelArts data processing tasks (on OTC a "historical" data-management API, eu-de only). */
export const modelArtsProcessorTasksDescriptor = {
  id: 'modelarts-processor-tasks',
  title: 'ModelArts data processing tasks',
  host: 'modelarts',
  clouds: ['huaweicloud', 'otc'],
  scope: 'project',
  deletePath: 'DELETE /v2/{project_id}/processor-tasks/{task_id}',
  paging:
    'page index (`offset` counts pages, unconfirmed: checked for repeats and the total), limit ≤ 100, `count`',
  states: { deletable: ['completed', 'failed', 'stopped'], inProgress: ['initialized', 'running'] },
  ageLabel: 'end time',
  ageFrom: '`create_time` + `duration_seconds` (no end-time field exists)',
  // Nothing documents that a running processing task is refused.
  refusesInProgress: false,
  answers: {
    // The same code on a 503 means "the platform is being upgraded": not gone.
    notFound: [{ status: 400, codes: ['ModelArts.4700'] }],
    inProgress: [],
  },
  throttlingCodes: [],
  tokenExpiredCodes: [],
  operations: { list: 'ListProcessorTasks', read: 'ShowProcessorTask', delete: 'DeleteProcessorTask' },
  permissions: ['modelarts:processTask:list', 'modelarts:processTask:get', 'modelarts:processTask:delete'],
} as const satisfies SourceDescriptor;
