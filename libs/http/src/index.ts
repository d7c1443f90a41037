export { ProblemError, problems, toProblemBody } from './problem.ts';
export type { FieldProblem, ProblemBody } from './problem.ts';
export { DEFAULT_HTTP_LIMITS, createHttpApp, finishApp, readHttpLimits, requireContentType } from './app.ts';
export type { HttpAppOptions, HttpLimits, IntegerEnvReader, ReadinessCheck } from './app.ts';
export { TokenBucketLimiter, clientKeyOf } from './rate-limit.ts';
export type { RateDecision } from './rate-limit.ts';
export { listen } from './server.ts';
export type { ListenOptions, RunningServer } from './server.ts';
