import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A secret value (secret key, password, token) that never prints: `String()`, `JSON.stringify`,
 * `util.inspect` and template literals all give `[REDACTED]`. Only `reveal()` returns the value, and only the
 * signer, the token minting request and the auth header builder call it.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
