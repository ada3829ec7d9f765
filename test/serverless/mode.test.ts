/**
 * deploy/aws/mode.cjs: the stage parameters of serverless.yml's two modes, as the framework hands them over
 * (`params:` values keep their YAML type, `--param name=value` is a string).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type Resolver = (options: { resolveVariable: (address: string) => Promise<unknown> }) => Promise<unknown>;

const loaded: unknown = createRequire(import.meta.url)('../../deploy/aws/mode.cjs');

function resolverOf(name: string): Resolver {
  const fn = typeof loaded === 'object' && loaded !== null ? Reflect.get(loaded, name) : undefined;
  if (typeof fn !== 'function') throw new Error(`deploy/aws/mode.cjs exports no function ${name}`);
  return (options) => Promise.resolve(fn(options));
}

/** Calls `name` with these parameters; one not given resolves as serverless.yml's default. */
function resolve(name: string, params: Record<string, unknown>): Promise<unknown> {
  const defaults: Record<string, unknown> = {
    mode: 'single',
    fanoutMaxConcurrency: 4,
    scheduleEnabled: true,
  };
  return resolverOf(name)({
    resolveVariable: async (address) => {
      const key = address.replace(/^param:/, '');
      return key in params ? params[key] : defaults[key];
    },
  });
}

describe('deploy/aws/mode.cjs', () => {
  it.each([
    [{}, 1],
    [{ mode: 'single', fanoutMaxConcurrency: 'not read in single mode' }, 1],
    [{ mode: 'fanout' }, 5],
    [{ mode: 'fanout', fanoutMaxConcurrency: '7' }, 8],
    [{ mode: 'fanout', fanoutMaxConcurrency: 40 }, 41],
  ])('reservedConcurrency with %j is %i', async (params, expected) => {
    await expect(resolve('reservedConcurrency', params)).resolves.toBe(expected);
  });

  it.each([
    [{ fanoutMaxConcurrency: 4 }, 4],
    [{ fanoutMaxConcurrency: '12' }, 12],
    [{ fanoutMaxConcurrency: '1' }, 1],
  ])('maxConcurrency with %j is the number %i', async (params, expected) => {
    await expect(resolve('maxConcurrency', params)).resolves.toBe(expected);
  });

  it.each([
    ['mode', { mode: 'Fanout' }, '--param mode: expected "single" or "fanout", got "Fanout"'],
    ['mode', { mode: '' }, '--param mode: expected "single" or "fanout", got ""'],
    [
      'maxConcurrency',
      { fanoutMaxConcurrency: '0' },
      'fanoutMaxConcurrency: expected a whole number from 1 to 40, got "0"',
    ],
    ['maxConcurrency', { fanoutMaxConcurrency: '41' }, 'got "41"'],
    ['maxConcurrency', { fanoutMaxConcurrency: '4.5' }, 'got "4.5"'],
    ['maxConcurrency', { fanoutMaxConcurrency: ' 4' }, 'got " 4"'],
    ['maxConcurrency', { fanoutMaxConcurrency: '04' }, 'got "04"'],
    ['reservedConcurrency', { mode: 'fanout', fanoutMaxConcurrency: 'four' }, 'got "four"'],
    [
      'scheduleEnabled',
      { scheduleEnabled: 'no' },
      '--param scheduleEnabled: expected true or false, got "no"',
    ],
  ])('%s refuses %j, naming the parameter', async (name, params, message) => {
    await expect(resolve(name, params)).rejects.toThrow(message);
  });

  it.each([
    [true, true],
    ['true', true],
    [false, false],
    ['false', false],
  ])(
    'scheduleEnabled reads %j as %j (the plugin disables a schedule only for a boolean false)',
    async (given, expected) => {
      await expect(resolve('scheduleEnabled', { scheduleEnabled: given })).resolves.toBe(expected);
    },
  );

  it.each([['single'], ['fanout']])('mode %s names its settings file', async (mode) => {
    await expect(resolve('mode', { mode })).resolves.toBe(mode);
  });
});
