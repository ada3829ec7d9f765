// The deployment mode of serverless.yml, read from its stage parameters (`--param name=value` or `params:`).
// A `${file(deploy/aws/mode.cjs):name}` variable calls the function of that name; each one validates what it
// reads, so a wrong parameter stops `serverless package` / `deploy` with a message naming it, before anything
// is built or sent. Parameters given on the command line arrive as strings, those of `params:` as YAML values.
//
//   single (default): the schedule invokes the function; one run purges every target of the policy.
//   fanout: the schedule starts the state machine of deploy/aws/fanout.yml, which runs the function once per
//           target, at most `fanoutMaxConcurrency` at a time, each run with its own 15-minute budget.

const MODES = ['single', 'fanout'];

// An inline Map state runs at most 40 iterations at once, whatever MaxConcurrency says.
const MAX_INLINE_MAP_CONCURRENCY = 40;

/** `--param name: expected …, got …` */
function invalid(name, expected, value) {
  const error = new Error(`--param ${name}: expected ${expected}, got ${JSON.stringify(value)}`);
  // Serverless prints a resolver's error by its stack: the message is the whole story for a parameter.
  error.stack = error.message;
  return error;
}

async function readMode(resolveVariable) {
  const value = await resolveVariable('param:mode');
  if (!MODES.includes(value)) throw invalid('mode', '"single" or "fanout"', value);
  return value;
}

async function readMaxConcurrency(resolveVariable) {
  const value = await resolveVariable('param:fanoutMaxConcurrency');
  const text = String(value);
  const count = /^[1-9][0-9]*$/.test(text) ? Number(text) : Number.NaN;
  if (!(count >= 1 && count <= MAX_INLINE_MAP_CONCURRENCY)) {
    throw invalid('fanoutMaxConcurrency', `a whole number from 1 to ${MAX_INLINE_MAP_CONCURRENCY}`, value);
  }
  return count;
}

async function readScheduleEnabled(resolveVariable) {
  const value = await resolveVariable('param:scheduleEnabled');
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalid('scheduleEnabled', 'true or false', value);
}

module.exports = {
  /** The validated mode: the name of the file under deploy/aws/ that holds the mode's settings. */
  mode: ({ resolveVariable }) => readMode(resolveVariable),

  /** The Map state's MaxConcurrency (a number: a parameter from the command line is a string). */
  maxConcurrency: ({ resolveVariable }) => readMaxConcurrency(resolveVariable),

  /**
   * single: 1, so two runs never overlap. fanout: one slot per Map iteration plus one, so that a manual
   * `serverless invoke -f purge` during an execution does not throttle an iteration (the enumerate step ends
   * before the Map starts, so within one execution it never needs a slot of its own).
   */
  reservedConcurrency: async ({ resolveVariable }) =>
    (await readMode(resolveVariable)) === 'single' ? 1 : (await readMaxConcurrency(resolveVariable)) + 1,

  /** The state machine's schedule state: the plugin reads only a boolean `false` as disabled. */
  scheduleEnabled: ({ resolveVariable }) => readScheduleEnabled(resolveVariable),
};
