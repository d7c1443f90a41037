export { accessTokenVerifier, jwsAlgorithm, looksLikeJwt } from './access-token.ts';
export type { AccessTokenCheck, AccessTokenSettings, AccessTokenVerifier } from './access-token.ts';
export { ProblemError, loggableFields, problems, toProblemBody } from './problem.ts';
export type { FieldProblem, ProblemBody } from './problem.ts';
export { PROBLEM_TYPES, PROBLEM_TYPE_BASE, PROBLEM_TYPE_NAMES, problemTypeNameOf } from './problem-types.ts';
export type { ProblemExplanation, ProblemTitle, ProblemTypeFacts, ProblemTypeName } from './problem-types.ts';
export { PROBLEM_PAGES_BASE, PROBLEM_PAGES_PATH, problemPage, problemPages } from './problem-pages.ts';
export { mountedRoutes } from './mounted-routes.ts';
export type { MountedRoute } from './mounted-routes.ts';
export {
  DEFAULT_HTTP_LIMITS,
  METRICS_TOKEN_FILE_VARIABLE,
  RATE_LIMIT_QUOTAS_VARIABLE,
  createHttpApp,
  finishApp,
  limitAuthenticated,
  readHttpLimits,
  readMetricsToken,
  requireContentType,
} from './app.ts';
export type { HttpAppOptions, HttpLimits, HttpLimitsEnvReader, ProblemRenderer, ReadinessCheck } from './app.ts';
export { MAX_QUOTA_PER_MINUTE, TokenBucketLimiter, TwoStageRateLimiter, parseRateQuotas } from './rate-limit.ts';
export type { RateDecision, RateQuotas, RateScope } from './rate-limit.ts';
export { listen } from './server.ts';
export type { ListenOptions, RunningServer } from './server.ts';
