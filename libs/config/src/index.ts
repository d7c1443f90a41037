export { ConfigError } from './errors.ts';
export type { ConfigProblem } from './errors.ts';
export { EnvReader, redactUrl } from './env-reader.ts';
export type { EnvSource } from './env-reader.ts';
export { ENVIRONMENTS, ENVIRONMENT_VARIABLE, productionProblems, readEnvironment } from './production.ts';
export type { Environment, ProductionFacts } from './production.ts';
