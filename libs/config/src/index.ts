export { ConfigError } from './errors.ts';
export type { ConfigProblem } from './errors.ts';
export { EnvReader, redactUrl } from './env-reader.ts';
export type { EnvSource } from './env-reader.ts';
