export { ProblemError, problems, toProblemBody } from './problem.ts';
export type { FieldProblem, ProblemBody } from './problem.ts';
export { createHttpApp, finishApp, requireContentType } from './app.ts';
export type { HttpAppOptions, ReadinessCheck } from './app.ts';
export { listen } from './server.ts';
export type { RunningServer } from './server.ts';
