import fs from 'node:fs';
import { ConfigError, type ConfigProblem } from './errors.ts';

export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Reads variables from one environment snapshot and collects every problem, so that a bad
 * start names all the variables to fix at once. Call `done()` after the last read.
 */
export class EnvReader {
  private readonly problems: ConfigProblem[] = [];

  constructor(private readonly source: EnvSource) {}

  private raw(variable: string): string | undefined {
    const value = this.source[variable];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  private fail<T>(variable: string, reason: string, placeholder: T): T {
    this.problems.push({ variable, reason });
    return placeholder;
  }

  string(variable: string, fallback: string): string {
    return this.raw(variable) ?? fallback;
  }

  optionalString(variable: string): string | undefined {
    return this.raw(variable);
  }

  /**
   * The text of the file a variable names, read once at start; undefined when unset. A missing or
   * unreadable file is a problem naming the variable and the path, never the file's contents.
   */
  optionalFile(variable: string): string | undefined {
    const file = this.raw(variable);
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      return this.fail(variable, `names ${file}, which cannot be read (${code})`, undefined);
    }
  }

  /** A value that has no safe default, such as a key: refusing to start beats running open. */
  requiredString(variable: string, options: { minLength?: number } = {}): string {
    const value = this.raw(variable);
    if (value === undefined) return this.fail(variable, 'is required and not set', '');
    if (options.minLength !== undefined && value.length < options.minLength) {
      return this.fail(variable, `must be at least ${options.minLength} characters long`, '');
    }
    return value;
  }

  integer(variable: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const value = this.raw(variable);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) return this.fail(variable, `must be a whole number, got "${value}"`, fallback);
    const parsed = Number(value);
    if (range.min !== undefined && parsed < range.min) {
      return this.fail(variable, `must be at least ${range.min}, got ${parsed}`, fallback);
    }
    if (range.max !== undefined && parsed > range.max) {
      return this.fail(variable, `must be at most ${range.max}, got ${parsed}`, fallback);
    }
    return parsed;
  }

  port(variable: string, fallback: number): number {
    return this.integer(variable, fallback, { min: 1, max: 65535 });
  }

  number(variable: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const value = this.raw(variable);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) return this.fail(variable, `must be a number, got "${value}"`, fallback);
    if ((range.min !== undefined && parsed < range.min) || (range.max !== undefined && parsed > range.max)) {
      return this.fail(variable, `must be between ${range.min ?? '-∞'} and ${range.max ?? '∞'}, got ${parsed}`, fallback);
    }
    return parsed;
  }

  boolean(variable: string, fallback: boolean): boolean {
    const value = this.raw(variable)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    return this.fail(variable, `must be true or false, got "${value}"`, fallback);
  }

  url(variable: string, fallback: string, protocols: readonly string[] = ['http:', 'https:']): string {
    const value = this.raw(variable) ?? fallback;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return this.fail(variable, `must be a URL, got "${redactUrl(value)}"`, fallback);
    }
    if (!protocols.includes(parsed.protocol)) {
      return this.fail(variable, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`, fallback);
    }
    return value.replace(/\/+$/, '');
  }

  /** A URL without a safe default. */
  requiredUrl(variable: string, protocols: readonly string[] = ['http:', 'https:']): string {
    if (this.raw(variable) === undefined) return this.fail(variable, 'is required and not set', '');
    return this.url(variable, '', protocols);
  }

  oneOf<T extends string>(variable: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(variable);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    return this.fail(variable, `must be one of ${allowed.join(', ')}, got "${value}"`, fallback);
  }

  /** A lower-case SQL identifier, such as a database name that goes into DDL. */
  identifier(variable: string, fallback: string): string {
    const value = this.raw(variable) ?? fallback;
    if (/^[a-z_][a-z0-9_]{0,62}$/.test(value)) return value;
    return this.fail(variable, `must be a lower-case SQL identifier, got "${value}"`, fallback);
  }

  /** A comma-separated list of host:port pairs. */
  hostPorts(variable: string, fallback: readonly string[]): string[] {
    const value = this.raw(variable);
    if (value === undefined) return [...fallback];
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    const bad = items.filter((item) => !/^[\w.-]+:\d{1,5}$/.test(item) && !/^\[[\da-fA-F:]+\]:\d{1,5}$/.test(item));
    if (items.length === 0 || bad.length > 0) {
      return this.fail(variable, `must be a comma-separated list of host:port, got "${value}"`, [...fallback]);
    }
    return items;
  }

  /** Records a problem a parser of the caller's own found: reported with the others by `done()`. */
  reject(variable: string, reason: string): void {
    this.problems.push({ variable, reason });
  }

  /** Throws one ConfigError naming every bad variable read so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** Hides a password in a connection URL before it reaches a message or a log line. */
export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return value.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
  }
}
