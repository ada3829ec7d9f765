import type { SourceDescriptor } from '../descriptor';

/** DIS dump ("transfer") tasks, identified by name within their stream (at most five per stream). */
export const disDumpTasksDescriptor = {
  id: 'dis-dump-tasks',
  title: 'DIS dump (transfer) tasks',
  host: 'dis',
  clouds: ['huaweicloud', 'otc'],
  scope: 'project',
  deletePath: 'DELETE /v2/{project_id}/streams/{stream_name}/transfer-tasks/{task_name}',
  paging:
    "streams by an exclusive `start_stream_name` marker while `has_more_streams` (limit ≤ 100); each stream's tasks unpaged",
  states: { deletable: ['ERROR', 'ABNORMAL', 'PAUSED'], inProgress: ['STARTING', 'RUNNING'] },
  parent: { kind: 'DIS stream', policyKey: 'streams' },
  ageLabel: 'last transfer, else creation',
  ageFrom:
    'the last transfer (`last_transfer_timestamp`), else creation (`create_time`) when nothing was ever transferred; not when the task entered its state',
  // Nothing documents that a running dump task is refused.
  refusesInProgress: false,
  answers: {
    // "The transfer task does not exist"; "the stream does not exist" (its tasks are gone with it).
    notFound: [{ status: 400, codes: ['DIS.4354', 'DIS.4301'] }],
    inProgress: [],
  },
  // "Too many stream requests", answered as a 400.
  throttlingCodes: ['DIS.4305'],
  tokenExpiredCodes: [],
  operations: { list: 'ListTransferTasks', read: 'ShowTransferTask', delete: 'DeleteTransferTask' },
  permissions: [
    'dis:streams:list',
    'dis:transferTasks:list',
    'dis:transferTasks:get',
    'dis:transferTasks:delete',
  ],
} as const satisfies SourceDescriptor;
