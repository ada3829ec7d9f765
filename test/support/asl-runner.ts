/**
 * Runs an Amazon States Language definition offline, for the states and fields the fan-out state machine uses
 * (`deploy/aws/fanout.yml`): Task, Pass, Choice (NumericGreaterThan), Fail, Succeed and an INLINE Map; payload
 * templates (`Parameters`, `ItemSelector`, `ResultSelector`) with JSONPath and the intrinsics
 * `States.JsonMerge` and `States.ArrayLength`; `ResultPath`, `OutputPath`; `Retry` and `Catch`; the 256 KiB
 * payload quota. It is our reading of the language specification and of the Step Functions error rules (a
 * missing path is `States.Runtime` and a payload over the quota `States.DataLimitExceeded`, neither of which
 * `States.ALL` catches), not AWS. Anything else in a definition is refused, so a definition that grows past
 * this subset fails its test instead of running differently. Retry delays are recorded, not waited for.
 */

/** What a Task's resource does: its result, or a `TaskFailure` with the error name Step Functions reports. */
export type TaskHandler = (resource: string, parameters: unknown) => Promise<unknown>;

export class TaskFailure extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(`${error}: ${causeText}`);
    this.name = 'TaskFailure';
  }
}

/** The execution's end: its output, or the error it failed with. */
export type ExecutionResult =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string };

export interface RunOptions {
  readonly stateMachineArn: string;
  readonly task: TaskHandler;
  /** Each Retry delay the run would have waited, in seconds (before jitter). */
  readonly onRetryDelay?: (state: string, error: string, delaySeconds: number) => void;
}

/** Step Functions' quota on a state's input, output and a task's result. */
export const PAYLOAD_QUOTA_BYTES = 256 * 1024;

/** Errors `States.ALL` does not match. */
const TERMINAL_ERRORS = new Set(['States.Runtime', 'States.DataLimitExceeded']);

class StatesError extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(`${error}: ${causeText}`);
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Context {
  readonly Execution: { readonly Input: Json };
  readonly StateMachine: { readonly Id: string };
  readonly Map?: { readonly Item: { readonly Index: number; readonly Value: Json } };
}

export async function runStateMachine(
  definition: unknown,
  input: unknown,
  options: RunOptions,
): Promise<ExecutionResult> {
  const machine = asObject(toJson(definition), 'definition');
  const executionInput = toJson(input);
  const context: Context = {
    Execution: { Input: executionInput },
    StateMachine: { Id: options.stateMachineArn },
  };
  try {
    const output = await runStates(machine, executionInput, context, options);
    return { status: 'SUCCEEDED', output };
  } catch (error) {
    if (error instanceof StatesError) return { status: 'FAILED', error: error.error, cause: error.causeText };
    throw error;
  }
}

const KNOWN_FIELDS: Record<string, readonly string[]> = {
  Task: [
    'Type',
    'Resource',
    'Parameters',
    'TimeoutSeconds',
    'ResultSelector',
    'ResultPath',
    'OutputPath',
    'Retry',
    'Catch',
    'Next',
    'End',
    'Comment',
  ],
  Pass: ['Type', 'Parameters', 'ResultPath', 'OutputPath', 'Next', 'End', 'Comment'],
  Choice: ['Type', 'Choices', 'Default', 'Comment'],
  Fail: ['Type', 'Error', 'Cause', 'Comment'],
  Succeed: ['Type', 'Comment'],
  Map: [
    'Type',
    'ItemsPath',
    'MaxConcurrency',
    'ItemSelector',
    'ItemProcessor',
    'ResultPath',
    'OutputPath',
    'Retry',
    'Catch',
    'Next',
    'End',
    'Comment',
  ],
};

async function runStates(
  machine: JsonObject,
  input: Json,
  context: Context,
  options: RunOptions,
): Promise<Json> {
  const states = asObject(machine.States, 'States');
  let name = asString(machine.StartAt, 'StartAt');
  let current = input;
  for (;;) {
    const state = asObject(states[name], `States.${name}`);
    const type = asString(state.Type, `States.${name}.Type`);
    const known = KNOWN_FIELDS[type];
    if (known === undefined) throw new Error(`asl-runner: state type ${type} (${name}) is not supported`);
    const unknown = Object.keys(state).filter((key) => !known.includes(key));
    if (unknown.length > 0)
      throw new Error(`asl-runner: ${name} has fields this runner does not know: ${unknown}`);
    checkQuota(current, `the input of ${name}`);

    if (type === 'Fail') {
      throw new StatesError(
        asString(state.Error, `${name}.Error`),
        asString(state.Cause ?? '', `${name}.Cause`),
      );
    }
    if (type === 'Succeed') return current;
    if (type === 'Choice') {
      name = choose(state, current, context, name);
      continue;
    }

    let output: Json;
    try {
      output = await runWithRetries(name, state, current, context, options);
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      const catcher = findMatching(state.Catch, error.error);
      if (catcher === undefined) throw error;
      const errorOutput: Json = { Error: error.error, Cause: error.causeText };
      current = applyResultPath(current, errorOutput, catcher.ResultPath ?? '$');
      checkQuota(current, `the output of ${name}'s Catch`);
      name = asString(catcher.Next, `${name}.Catch.Next`);
      continue;
    }
    checkQuota(output, `the output of ${name}`);
    if (state.End === true) return output;
    current = output;
    name = asString(state.Next, `${name}.Next`);
  }
}

async function runWithRetries(
  name: string,
  state: JsonObject,
  input: Json,
  context: Context,
  options: RunOptions,
): Promise<Json> {
  const attemptsByRetrier = new Map<number, number>();
  for (;;) {
    try {
      return await runOnce(name, state, input, context, options);
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      const retriers = state.Retry === undefined ? [] : asArray(state.Retry, `${name}.Retry`);
      const index = retriers.findIndex((retrier) =>
        matches(asObject(retrier, 'Retry').ErrorEquals, error.error),
      );
      if (index < 0) throw error;
      const retrier = asObject(retriers[index], 'Retry');
      const attempts = attemptsByRetrier.get(index) ?? 0;
      const maxAttempts =
        retrier.MaxAttempts === undefined ? 3 : asNumber(retrier.MaxAttempts, 'MaxAttempts');
      if (attempts >= maxAttempts) throw error;
      attemptsByRetrier.set(index, attempts + 1);
      const interval =
        retrier.IntervalSeconds === undefined ? 1 : asNumber(retrier.IntervalSeconds, 'Interval');
      const rate = retrier.BackoffRate === undefined ? 2 : asNumber(retrier.BackoffRate, 'BackoffRate');
      const cap =
        retrier.MaxDelaySeconds === undefined
          ? Number.POSITIVE_INFINITY
          : asNumber(retrier.MaxDelaySeconds, 'Max');
      options.onRetryDelay?.(name, error.error, Math.min(cap, interval * rate ** attempts));
    }
  }
}

async function runOnce(
  name: string,
  state: JsonObject,
  input: Json,
  context: Context,
  options: RunOptions,
): Promise<Json> {
  const type = state.Type;
  if (type === 'Pass') {
    const result =
      state.Parameters === undefined ? input : evaluateTemplate(state.Parameters, input, context);
    return selectOutput(applyResultPath(input, result, state.ResultPath ?? '$'), state.OutputPath);
  }
  if (type === 'Task') {
    const parameters =
      state.Parameters === undefined ? input : evaluateTemplate(state.Parameters, input, context);
    checkQuota(parameters, `the parameters of ${name}`);
    let raw: unknown;
    try {
      raw = await options.task(asString(state.Resource, `${name}.Resource`), parameters);
    } catch (error) {
      if (error instanceof TaskFailure) throw new StatesError(error.error, error.causeText);
      throw error;
    }
    const result = toJson(raw);
    checkQuota(result, `the result of ${name}`);
    const selected =
      state.ResultSelector === undefined ? result : evaluateTemplate(state.ResultSelector, result, context);
    return selectOutput(applyResultPath(input, selected, state.ResultPath ?? '$'), state.OutputPath);
  }
  if (type === 'Map')
    return selectOutput(await runMap(name, state, input, context, options), state.OutputPath);
  throw new Error(`asl-runner: ${name}: unexpected type ${String(type)}`);
}

async function runMap(
  name: string,
  state: JsonObject,
  input: Json,
  context: Context,
  options: RunOptions,
): Promise<Json> {
  const items = asArray(
    readPath(input, asString(state.ItemsPath ?? '$', `${name}.ItemsPath`), context),
    `${name}.ItemsPath`,
  );
  const processor = asObject(state.ItemProcessor, `${name}.ItemProcessor`);
  const mode = asObject(processor.ProcessorConfig ?? { Mode: 'INLINE' }, 'ProcessorConfig').Mode;
  if (mode !== 'INLINE') throw new Error(`asl-runner: ${name}: only INLINE Map is supported`);
  const limit =
    state.MaxConcurrency === undefined ? 0 : asNumber(state.MaxConcurrency, `${name}.MaxConcurrency`);
  const results: Json[] = new Array<Json>(items.length).fill(null);
  let next = 0;
  let failure: StatesError | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next;
      next += 1;
      const value = items[index] ?? null;
      const itemContext: Context = { ...context, Map: { Item: { Index: index, Value: value } } };
      const itemInput =
        state.ItemSelector === undefined ? value : evaluateTemplate(state.ItemSelector, input, itemContext);
      try {
        results[index] = await runStates(processor, itemInput, itemContext, options);
      } catch (error) {
        if (!(error instanceof StatesError)) throw error;
        // One iteration's uncaught error fails the Map: no new iteration starts.
        failure ??= error;
      }
    }
  };
  const workers = limit === 0 ? items.length : Math.min(limit, items.length);
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== undefined) throw failure;
  return applyResultPath(input, results, state.ResultPath ?? '$');
}

function choose(state: JsonObject, input: Json, context: Context, name: string): string {
  for (const rule of asArray(state.Choices, `${name}.Choices`)) {
    const choice = asObject(rule, `${name}.Choices[]`);
    const keys = Object.keys(choice).filter((key) => key !== 'Variable' && key !== 'Next');
    if (keys.length !== 1 || keys[0] !== 'NumericGreaterThan') {
      throw new Error(
        `asl-runner: ${name}: only Variable + NumericGreaterThan choices are supported, got ${keys}`,
      );
    }
    const value = readPath(input, asString(choice.Variable, 'Variable'), context);
    if (typeof value === 'number' && value > asNumber(choice.NumericGreaterThan, 'NumericGreaterThan')) {
      return asString(choice.Next, `${name}.Choices[].Next`);
    }
  }
  if (state.Default === undefined)
    throw new StatesError('States.NoChoiceMatched', `${name}: no choice matched`);
  return asString(state.Default, `${name}.Default`);
}

/** Evaluates a payload template: a key ending in `.$` takes the value of its path or intrinsic function. */
function evaluateTemplate(template: Json, input: Json, context: Context): Json {
  if (Array.isArray(template)) return template.map((value) => evaluateTemplate(value, input, context));
  if (template === null || typeof template !== 'object') return template;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      result[key.slice(0, -2)] = evaluateExpression(asString(value, key), input, context);
    } else {
      result[key] = evaluateTemplate(value, input, context);
    }
  }
  return result;
}

function evaluateExpression(expression: string, input: Json, context: Context): Json {
  const call = /^(States\.[A-Za-z]+)\((.*)\)$/s.exec(expression);
  if (call === null) return readPath(input, expression, context);
  const [, fn, argText] = call;
  const args = (argText ?? '').split(',').map((arg) => evaluateArgument(arg.trim(), input, context));
  if (fn === 'States.JsonMerge') {
    const [left, right, deep] = args;
    if (deep !== false)
      throw new StatesError('States.IntrinsicFailure', 'JsonMerge: deep merge is not supported');
    if (!isObject(left) || !isObject(right)) {
      throw new StatesError('States.IntrinsicFailure', 'JsonMerge: both arguments must be JSON objects');
    }
    return { ...left, ...right };
  }
  if (fn === 'States.ArrayLength') {
    const [array] = args;
    if (!Array.isArray(array)) throw new StatesError('States.IntrinsicFailure', 'ArrayLength: not an array');
    return array.length;
  }
  throw new Error(`asl-runner: intrinsic ${fn} is not supported`);
}

function evaluateArgument(argument: string, input: Json, context: Context): Json {
  if (argument.startsWith('$')) return readPath(input, argument, context);
  const literal: Json = JSON.parse(argument.startsWith("'") ? `"${argument.slice(1, -1)}"` : argument);
  return literal;
}

/** `$`, `$.a.b`, `$$.A.B`: a missing field is `States.Runtime`, as on AWS. */
function readPath(input: Json, path: string, context: Context): Json {
  const [root, rest] = path.startsWith('$$') ? [toJson(context), path.slice(2)] : [input, path.slice(1)];
  if (rest !== '' && !/^(\.[A-Za-z_][A-Za-z0-9_-]*)+$/.test(rest)) {
    throw new Error(`asl-runner: path ${path} is beyond the supported subset`);
  }
  let value: Json = root;
  for (const key of rest.split('.').slice(1)) {
    if (!isObject(value) || !(key in value)) {
      throw new StatesError('States.Runtime', `The JSONPath '${path}' could not be found in the input`);
    }
    value = value[key] ?? null;
  }
  return value;
}

function applyResultPath(input: Json, result: Json, resultPath: Json): Json {
  if (resultPath === null) return input;
  const path = asString(resultPath, 'ResultPath');
  if (path === '$') return result;
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_-]*)+$/.test(path))
    throw new Error(`asl-runner: ResultPath ${path} unsupported`);
  if (!isObject(input)) throw new StatesError('States.Runtime', `ResultPath ${path} on a non-object input`);
  const keys = path.split('.').slice(1);
  const copy: JsonObject = structuredClone(input);
  let target = copy;
  for (const key of keys.slice(0, -1)) {
    const child = target[key];
    const next: JsonObject = isObject(child) ? child : {};
    target[key] = next;
    target = next;
  }
  target[keys[keys.length - 1] ?? ''] = result;
  return copy;
}

function selectOutput(value: Json, outputPath: Json | undefined): Json {
  if (outputPath === undefined || outputPath === '$') return value;
  throw new Error(`asl-runner: OutputPath ${String(outputPath)} is not supported`);
}

function findMatching(list: Json | undefined, error: string): JsonObject | undefined {
  if (list === undefined) return undefined;
  for (const entry of asArray(list, 'Catch')) {
    const catcher = asObject(entry, 'Catch[]');
    if (matches(catcher.ErrorEquals, error)) return catcher;
  }
  return undefined;
}

function matches(errorEquals: Json | undefined, error: string): boolean {
  const names = asArray(errorEquals ?? [], 'ErrorEquals');
  return names.some((name) => name === error || (name === 'States.ALL' && !TERMINAL_ERRORS.has(error)));
}

function checkQuota(value: Json, what: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > PAYLOAD_QUOTA_BYTES) {
    throw new StatesError(
      'States.DataLimitExceeded',
      `${what} is ${bytes} bytes, over the ${PAYLOAD_QUOTA_BYTES}`,
    );
  }
}

function toJson(value: unknown): Json {
  const copy: Json = JSON.parse(JSON.stringify(value ?? null));
  return copy;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: Json | undefined, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`asl-runner: ${what} is not an object`);
  return value;
}

function asArray(value: Json | undefined, what: string): Json[] {
  if (!Array.isArray(value)) throw new StatesError('States.Runtime', `${what} is not an array`);
  return value;
}

function asString(value: Json | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`asl-runner: ${what} is not a string`);
  return value;
}

function asNumber(value: Json | undefined, what: string): number {
  if (typeof value !== 'number') throw new Error(`asl-runner: ${what} is not a number`);
  return value;
}
