export { createLogger, REDACTED_KEYS } from './logger.ts';
export type { Logger, LoggerOptions } from './logger.ts';
