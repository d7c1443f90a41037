/** One invalid or missing variable, named so an operator can fix it without reading code. */
export interface ConfigProblem {
  readonly variable: string;
  readonly reason: string;
}

/** Raised once, at start, with every problem found; never retryable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly retryable = false;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.reason}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
