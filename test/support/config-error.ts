/** Asserting on configuration and policy errors. */
import { expect } from 'vitest';
import { ConfigError } from '../../lib/errors';

/** The problems of the `ConfigError` that `act` throws; fails the test when it throws nothing or another error. */
export function problemsOf(act: () => unknown): readonly string[] {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}
