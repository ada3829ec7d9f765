/** The public types of an emulator of several regions and projects (`EmulatorOptions.regions`). */
import type { TaskApiId } from './services/registry';

/** One region of the emulated account: its own listener per host, its own projects. */
export interface EmulatorRegionOptions {
  /** The region id (`cn-north-4`); its projects' names start with it. */
  id: string;
  /** @default one project named after the region */
  projects?: EmulatorProjectOptions[];
}

export interface EmulatorProjectOptions {
  /** `<region>` (the region's own project) or `<region>_<name>` (a sub-project), as IAM names projects. */
  name: string;
  /** @default 32 hex digits derived from the seed and the name */
  id?: string;
  /** A disabled project is listed by IAM with `enabled: false`; no token is minted for it, no request served. */
  enabled?: boolean;
  /**
   * The credentials have no permission in this project (an IAM user without a role there): IAM lists it but
   * mints no token scoped to it (401), and no request for it is served (403 `APIG.0302`).
   */
  accessDenied?: boolean;
  /** This project's generated tasks, in place of `EmulatorOptions.tasks`. */
  tasks?: number;
  /** This project's exact counts per task API, in place of `EmulatorOptions.tasksPerService`. */
  tasksPerService?: Partial<Record<TaskApiId, number>>;
}

/** A project of the emulated account. */
export interface EmulatorProject {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly enabled: boolean;
  readonly accessDenied: boolean;
}

/** Where a task, a deletion, a state change or a request belongs (absent for SMS: its tasks are the account's). */
export interface ProjectPlace {
  region?: string;
  projectId?: string;
}
