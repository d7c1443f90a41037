import { describe, expect, it } from 'vitest';
import { ConfigError, EnvReader, redactUrl } from './index.ts';

describe('EnvReader', () => {
  it('returns defaults when variables are unset or blank', () => {
    const env = new EnvReader({ PORT: '  ' });

    const read = { port: env.port('PORT', 8080), flag: env.boolean('FLAG', true), name: env.string('NAME', 'x') };
    env.done();

    expect(read).toEqual({ port: 8080, flag: true, name: 'x' });
  });

  it('names every invalid variable at once, with the reason', () => {
    const env = new EnvReader({ PORT: '80a', RATIO: 'lots', MODE: 'loud', URL: 'not a url', KEY: 'short' });
    env.port('PORT', 1);
    env.number('RATIO', 1);
    env.oneOf('MODE', ['quiet', 'normal'], 'normal');
    env.url('URL', 'http://x');
    env.requiredString('KEY', { minLength: 32 });
    env.requiredString('MISSING');

    let caught: unknown;
    try {
      env.done();
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.variable)).toEqual(['PORT', 'RATIO', 'MODE', 'URL', 'KEY', 'MISSING']);
    expect((caught as ConfigError).message).toContain('PORT: must be a whole number, got "80a"');
    expect((caught as ConfigError).message).toContain('KEY: must be at least 32 characters long');
    expect((caught as ConfigError).message).not.toContain('short');
  });

  it('refuses a port outside 1..65535', () => {
    const env = new EnvReader({ PORT: '70000' });
    env.port('PORT', 1);

    expect(() => env.done()).toThrow('PORT: must be at most 65535, got 70000');
  });

  it('parses host:port lists and rejects malformed ones', () => {
    const good = new EnvReader({ BROKERS: '127.0.0.1:9092, kafka-2:9093' });
    expect(good.hostPorts('BROKERS', [])).toEqual(['127.0.0.1:9092', 'kafka-2:9093']);

    const bad = new EnvReader({ BROKERS: 'localhost' });
    bad.hostPorts('BROKERS', []);
    expect(() => bad.done()).toThrow('BROKERS: must be a comma-separated list of host:port');
  });

  it('never echoes a password from a connection URL', () => {
    expect(redactUrl('postgres://app:s3cret@db:5432/x')).toBe('postgres://app:***@db:5432/x');
    const env = new EnvReader({ DATABASE_URL: 'mysql://app:s3cret@db/x' });
    env.url('DATABASE_URL', 'postgres://localhost/x', ['postgres:']);
    expect(() => env.done()).toThrow(/must use postgres:/);
  });
  it('reads the file a variable names, and names the variable and path, never contents, when it cannot', () => {
    const here = new URL(import.meta.url).pathname;
    const good = new EnvReader({ CA_FILE: here });
    expect(good.optionalFile('CA_FILE')).toContain('reads the file a variable names');
    expect(new EnvReader({}).optionalFile('CA_FILE')).toBeUndefined();

    const missing = new EnvReader({ CA_FILE: '/nonexistent/ca.pem' });
    expect(missing.optionalFile('CA_FILE')).toBeUndefined();
    expect(() => missing.done()).toThrow('CA_FILE: names /nonexistent/ca.pem, which cannot be read (ENOENT)');
  });
});
