/** The emulator's own errors: it shares no code with `lib/`, the code it judges. */

/** Invalid emulator options or fault settings; `problems` names every bad field (`faults.0.hangShare: …`). */
export class EmulatorOptionsError extends Error {
  override name = 'EmulatorOptionsError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[], subject: string) {
    super(`invalid ${subject}:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}
