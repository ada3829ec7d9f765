import type { SourceDescriptor } from '../descriptor';

/**
 * SMS (Server Migration Service) migration tasks: a global Huawei Cloud service, one host per site, paths without a
 * project id, and a listing of the account's tasks of every target region. What everything here rests on, with
 * its sources and what is unconfirmed: `docs/api/sms.md`.
 */
export const smsMigrationTasksDescriptor = {
  id: 'sms-migration-tasks',
  title: 'SMS server migration tasks',
  host: 'sms',
  clouds: ['huaweicloud'],
  scope: 'account',
  // The international site answers on ap-southeast-3, the Chinese mainland's on cn-north-4, whatever the region
  // the tasks migrate into (which site an account belongs to is not derivable from a region: override it with
  // TASK_JANITOR_ENDPOINT_SMS where this guess is wrong).
  defaultEndpoint: (_cloud, region) =>
    region.startsWith('cn-')
      ? 'https://sms.cn-north-4.myhuaweicloud.com'
      : 'https://sms.ap-southeast-3.myhuaweicloud.com',
  deletePath: 'DELETE /v3/tasks/{task_id}',
  paging: 'record offset (≤ 65535), limit ≤ 200, `count`: at most 65,600 tasks can be listed',
  // A task is deletable only when its state is a documented outcome AND its source server is not running (the
  // delete is refused only while the agent is connected, so a refusal cannot be relied on).
  states: {
    deletable: [
      'MIGRATE_SUCCESS',
      'MIGRATE_FAIL',
      'SYNC_SUCCESS',
      'SYNC_FAIL',
      'ABORT',
      'SYNC_F_ROLLBACK_SUCCESS',
    ],
    inProgress: [
      'READY',
      'RUNNING',
      'SYNCING',
      'ABORTING',
      'DELETING',
      'SKIPPING',
      'RESETING',
      'SYNC_F_ROLLBACKING',
    ],
  },
  ageLabel: 'last sub-task end, else creation',
  ageFrom:
    'the last sub-task end (`sub_tasks[].end_date`), else creation (`create_date`), both taken as epoch ms',
  // A running task of a disconnected agent is deleted: every DELETE follows a read.
  refusesInProgress: false,
  answers: {
    // No task-not-found code is documented: any SMS error to a read or delete of one task may mean "gone", and
    // only a listing that no longer shows the task proves it.
    notFound: [],
    inProgress: [{ status: 400, codes: ['SMS.2015'] }],
    ambiguousNotFound: [
      { status: 404, codes: ['SMS.*'] },
      { status: 400, codes: ['SMS.*'] },
    ],
  },
  throttlingCodes: [],
  tokenExpiredCodes: [],
  operations: { list: 'ListTasks', read: 'ShowTask', delete: 'DeleteTask' },
  permissions: ['sms:server:listTask', 'sms:server:getTask', 'sms:server:deleteTask'],
} as const satisfies SourceDescriptor;
