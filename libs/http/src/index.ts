export { accessTokenVerifier, jwsAlgorithm, looksLikeJwt } from './access-token.ts';
export type { AccessTokenCheck, AccessTokenSettings, AccessTokenVerifier } from './access-token.ts';
export { ProblemError, problems, toProblemBody } from './problem.ts';
export type { FieldProblem, ProblemBody } from './problem.ts';
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
export type { HttpAppOptions, HttpLimits, HttpLimitsEnvReader, ReadinessCheck } from './app.ts';
export { MAX_QUOTA_PER_MINUTE, TokenBucketLimiter, TwoStageRateLimiter, parseRateQuotas } from './rate-limit.ts';
export type { RateDecision, RateQuotas, RateScope } from './rate-limit.ts';
export { listen } from './server.ts';
export type { ListenOptions, RunningServer } from './server.ts';
