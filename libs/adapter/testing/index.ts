import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createCodecs, type EventType } from '@passerelle/contracts';
import { testKeyEncryptionKey } from '@passerelle/contracts/testing';
import { ProblemError } from '@passerelle/http';
import type { AdapterConfig } from '../src/adapter-config.ts';
import type { MappingContext } from '../src/canonical-event.ts';

const codecs = createCodecs();

/** A secret of the accepted length, different each call. */
export function testSecret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * An adapter config for tests: port 0, fresh token and key, the tests' key-encryption key, the given database and schema,
 * and the stack's Kafka CA when its broker is SASL_SSL.
 */
/** An adapter config whose static token is set: tests present it (`Bearer <ministryToken>`). */
export type TestAdapterConfig = AdapterConfig & { readonly ministryToken: string };

export function testAdapterConfig(
  stack: { databaseUrl: string; kafkaBrokers: readonly string[]; registryUrl: string; kafkaCaFile?: string | undefined },
  overrides: Partial<AdapterConfig> = {},
): TestAdapterConfig {
  return {
    ...(stack.kafkaCaFile ? { kafkaTls: { ca: [readFileSync(stack.kafkaCaFile, 'utf8')], rejectUnauthorized: true as const } } : {}),
    port: 0,
    databaseUrl: stack.databaseUrl,
    databaseSchema: `adapter_test_${randomBytes(4).toString('hex')}`,
    kafkaBrokers: stack.kafkaBrokers,
    registryUrl: stack.registryUrl,
    pseudonymKey: testSecret(),
    keyEncryptionKey: testKeyEncryptionKey(),
    logLevel: 'info',
    // No rate limit: suites send thousands of requests with one token; the limit has tests of its own.
    http: { rateLimitPerMinute: 0, requestTimeoutMs: 10_000 },
    ...overrides,
    ministryToken: overrides.ministryToken ?? testSecret(),
  };
}

/** Collects every log line a service writes, so a test can search them. */
export class LogCapture extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }

  text(): string {
    return this.chunks.join('');
  }

  lines(): Record<string, unknown>[] {
    return this.text()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/** POSTs a JSON (or any string) body with the bearer token; returns status, headers and parsed body. */
export async function post(
  baseUrl: string,
  path: string,
  body: unknown,
  options: { token?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json', ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: payload });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** A mapping context with predictable ids and time, for mapper unit tests. */
export function fixedMappingContext(ministry: MappingContext['ministry'], receivedAt = Date.UTC(2025, 2, 15, 12, 0, 0)): MappingContext {
  let n = 0;
  return {
    ministry,
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    receivedAt,
    trace: { traceparent: null, tracestate: null },
  };
}

/** Reads a fixture file of a service (path relative to the spec file's URL). */
export function readFixture(base: string | URL, relative: string): string {
  return readFileSync(new URL(relative, base), 'utf8');
}

/** Schema issues of a canonical event against its local Avro schema; empty when valid. */
export function avroIssues(type: EventType, payload: unknown): string[] {
  return codecs.get(type)?.validate(payload) ?? [`no codec for ${type}`];
}

/** The problem a mapping or parsing step throws; fails the test when it throws nothing or something else. */
export function problemOf(run: () => unknown): ProblemError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemError) return error;
    throw error;
  }
  throw new Error('expected a problem');
}
