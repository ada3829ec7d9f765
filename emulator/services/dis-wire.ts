/** DIS wire shapes: the task and stream renderings, the two error shapes, the wire states and the task's end. */
import type { Answer } from '../answers';
import type { Rng } from '../rng';
import type { FaultSettings } from '../types';
import { finite, type TaskRecord, withExtra } from './kit';

/** `DELETE` (deleted, still listed) and `UPGRADING` are neither ended nor running. */
export const WIRE_STATES = {
  ended: ['ERROR', 'ABNORMAL', 'PAUSED'],
  running: ['STARTING', 'RUNNING'],
  resumed: 'RUNNING',
  other: ['DELETE', 'UPGRADING'],
} as const;

/** The last transfer, else (nothing ever transferred) the creation. */
export function endedAtMs(fields: Readonly<Record<string, unknown>>): number | undefined {
  return finite(fields.last_transfer_timestamp) || finite(fields.create_time);
}

export interface DisStream {
  name: string;
  streamId: string;
  createdMs: number;
  status: string;
}

export const disError = (_status: number, code: string, message: string): unknown => ({
  errorCode: code,
  message,
});

export function errorAnswer(status: number, code: string, message: string): Answer {
  return { status, body: JSON.stringify(disError(status, code, message)), errorCode: code };
}

export const streamNotFound = (): Answer => errorAnswer(400, 'DIS.4301', 'The stream does not exist.');
export const taskNotFound = (): Answer => errorAnswer(400, 'DIS.4354', 'The transfer task does not exist.');

/** `{"errorCode", "message"}` → `{"error_code", "error_msg"}`; any other body is left as it is. */
export function snakeError(answer: Answer): Answer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body ?? '');
  } catch {
    return answer;
  }
  if (typeof parsed !== 'object' || parsed === null) return answer;
  const errorCode: unknown = Reflect.get(parsed, 'errorCode');
  const message: unknown = Reflect.get(parsed, 'message');
  if (typeof errorCode !== 'string' || typeof message !== 'string') return answer;
  return { ...answer, body: JSON.stringify({ error_code: errorCode, error_msg: message }) };
}

/** The DIS host answers errors in either documented shape; the gateway's answers keep theirs. */
export function reshape(answer: Answer, faults: FaultSettings, rng: Rng): Answer {
  const shape = faults.disErrorShape ?? 'errorCode';
  if (answer.status < 400 || shape === 'errorCode') return answer;
  const snake = snakeError(answer);
  // Not in the DIS shape (a gateway answer): no draw, so the gateway's answers do not shift the sequence.
  if (snake === answer) return answer;
  if (shape === 'mixed' && !rng.chance(0.5)) return answer;
  return snake;
}

export function renderTask(record: TaskRecord): Record<string, unknown> {
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

export function renderTaskDetails(record: TaskRecord): Record<string, unknown> {
  return {
    ...renderTask(record),
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
