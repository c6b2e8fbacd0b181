/**
 * The base of every error a user can fix from its message alone: a bad environment file, a
 * weakened default, an invalid construct prop, a missing tool. Command-line tools (main.ts and
 * scripts/) print its message and exit 1; any other error is a defect and keeps its stack trace.
 */
export class ProjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Whether `error` is one a user can fix from its message (see ProjectError). */
export const isProjectError = (error: unknown): error is ProjectError => error instanceof ProjectError;
