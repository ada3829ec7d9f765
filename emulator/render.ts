/** Wire rendering of stored records, shaped after REFERENCE's verbatim examples. */
import type { DcsInstance, DisStream, TaskRecord } from './state';
import { isoMs } from './state';

const USER_ID = 'd53977d1adfb49c5b025ba7d33a13fd7';

function withExtra(base: Record<string, unknown>, record: TaskRecord): Record<string, unknown> {
  return record.extra ? { ...base, ...record.extra } : base;
}

export function renderDcsTask(record: TaskRecord, center: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: record.id,
    name: record.name,
    user_name: 'janitor-user',
    user_id: USER_ID,
    details: {},
    params: '',
    enable_show: true,
    status: record.state,
  };
  if (record.timeMs !== undefined) {
    base.created_at = isoMs(record.timeMs);
    base.updated_at = isoMs(record.timeMs + record.durationMs);
  }
  if (center) {
    base.error_code = null;
    base.job_id = `ff8080818822bbf7${record.id.slice(0, 16)}`;
  }
  return withExtra(base, record);
}

export function renderDcsInstance(instance: DcsInstance): Record<string, unknown> {
  return {
    instance_id: instance.instanceId,
    name: instance.name,
    engine: 'Redis',
    engine_version: '5.0',
    status: instance.status,
    capacity: 0,
    capacity_minor: '.125',
    port: 6379,
    ip: '192.168.0.195',
    user_id: USER_ID,
    user_name: 'clouduser',
    spec_code: 'redis.ha.xu1.tiny.r2.128',
    created_at: isoMs(instance.createdMs),
    updated_at: isoMs(instance.createdMs),
    tags: [],
    az_codes: ['region01', 'region02'],
    sub_status: 'normal',
  };
}

export function renderModelArtsTask(record: TaskRecord): Record<string, unknown> {
  const base: Record<string, unknown> = {
    task_id: record.id,
    name: record.name,
    description: '',
    data_source: { type: 'DATASET', source: 'X6c3N3eztX7cr3Arvqu' },
    inputs: [{ type: 'DATASET', source: 'X6c3N3eztX7cr3Arvqu' }],
    template: { id: 'sys_data_analyse', name: 'data analyse template name', operator_params: [] },
    status: record.state,
    duration_seconds: Math.round(record.durationMs / 1000),
    version_id: 'J4Eh2FDEWH1qnDlD3hQ',
    version_name: 'V001',
    is_current: true,
    workspace_id: '0',
  };
  if (record.timeMs !== undefined) base.create_time = record.timeMs;
  return withExtra(base, record);
}

/**
 * OMS ids are JSON numbers that may exceed 2^53: the id (a decimal string) is written as raw digits in
 * front of the JSON of the other fields.
 */
export function renderOmsTaskJson(record: TaskRecord): string {
  const running = record.state === 2 || record.state === 7 || record.state === 6;
  const fields: Record<string, unknown> = {
    name: record.name,
    status: record.state,
    total_time: record.durationMs,
    left_time: running ? 60_000 : 0,
    progress: record.state === 5 ? 1 : running ? 0.5 : 0,
    group_type: 'NORMAL_TASK',
    task_type: 'object',
    description: '',
    src_node: { bucket: 'src_bucket', cloud_type: 'AWS', region: 'eu-de' },
    dst_node: { bucket: 'dst_bucket', region: 'eu-de' },
    complete_size: 0,
    total_size: 0,
  };
  if (record.timeMs !== undefined) fields.start_time = record.timeMs;
  if (record.state === 4)
    fields.error_reason = { error_code: 'OMS.0501', error_msg: 'source object not found' };
  const merged = withExtra(fields, record);
  delete merged.id;
  const rest = JSON.stringify(merged).slice(1);
  return rest === '}' ? `{"id":${record.id}}` : `{"id":${record.id},${rest}`;
}

export function renderDisTask(record: TaskRecord): Record<string, unknown> {
  const base: Record<string, unknown> = {
    task_id: `T${record.id.length}${Buffer.from(record.id).toString('hex').slice(0, 16)}`,
    destination_type: 'OBS',
    task_name: record.id,
    state: record.state,
  };
  if (record.timeMs !== undefined) {
    base.create_time = record.timeMs;
    base.last_transfer_timestamp = record.timeMs + record.durationMs;
  }
  return withExtra(base, record);
}

export function renderDisTaskDetails(record: TaskRecord): Record<string, unknown> {
  return {
    ...renderDisTask(record),
    stream_name: record.parentId,
    partitions: [],
    obs_destination_description: {
      obs_bucket_path: 'dis-dump',
      file_prefix: '',
      partition_format: 'yyyy/MM/dd',
      deliver_time_interval: 300,
      consumer_strategy: 'LATEST',
    },
  };
}

export function renderStream(stream: DisStream): Record<string, unknown> {
  return {
    stream_id: stream.streamId,
    stream_name: stream.name,
    create_time: stream.createdMs,
    retention_period: 24,
    status: stream.status,
    stream_type: 'COMMON',
    data_type: 'BLOB',
    partition_count: 1,
    tags: [],
    auto_scale_enabled: false,
    auto_scale_min_partition_count: 0,
    auto_scale_max_partition_count: 0,
  };
}
