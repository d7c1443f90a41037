import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys that could carry personal data if a record ever reached a log call by mistake. Logs
 * must carry ids, codes and counts only; this list is the second line of defence.
 */
export const REDACTED_KEYS: readonly string[] = [
  'name',
  'givenName',
  'familyName',
  'firstName',
  'lastName',
  'birthDate',
  'dateOfBirth',
  'dob',
  'address',
  'healthCardNumber',
  'hcn',
  'caseNumber',
  'notes',
  'note',
  'text',
  'description',
  'phone',
  'email',
  'subjectPseudonym',
  'authorization',
  'password',
  'token',
];

function redactPaths(keys: readonly string[]): string[] {
  return keys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
}

export interface LoggerOptions {
  readonly service: string;
  readonly level?: string;
  readonly base?: Record<string, string>;
  /** For tests: where the JSON lines go (stdout by default). */
  readonly destination?: DestinationStream;
}

/** One JSON object per line on stdout, with the service name on every line. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(REDACTED_KEYS), censor: '[redacted]' },
    },
    options.destination,
  );
}
