import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { rejectionOf, uniqueName } from '@passerelle/testing';
import { sampleEvents } from '../testing/index.ts';
import { RegistryUnavailableError, SchemaNotRegisteredError, UnknownSchemaIdError } from './errors.ts';
import { EventSerde } from './event-serde.ts';
import { EVENT_TYPES } from './event-types.ts';
import { RegistryClient } from './registry-client.ts';
import { registerAll, type RegistrationResult } from './schema-registration.ts';

const stack = inject('stack');
const prefix = `${uniqueName('test-serde')}.`;
const client = new RegistryClient({ url: stack.registryUrl });
let registered: RegistrationResult[] = [];

beforeAll(async () => {
  registered = await registerAll(client, { subjectPrefix: prefix });
});

afterAll(async () => {
  for (const { subject } of registered) await client.deleteSubject(subject);
});

describe('the event serde against the real registry', () => {
  it.each([...EVENT_TYPES])('round-trips %s: encode then decode gives the same event', async (type) => {
    const serde = new EventSerde(client, { subjectPrefix: prefix });
    const event = sampleEvents()[type];

    const message = await serde.encode(type, event as never);
    const decoded = await new EventSerde(new RegistryClient({ url: stack.registryUrl }), { subjectPrefix: prefix }).decode(message);

    const schemaId = registered.find((r) => r.subject === `${prefix}ca.on.passerelle.v1.${type}`)?.schemaId;
    expect(message[0]).toBe(0);
    expect(message.readUInt32BE(1)).toBe(schemaId);
    expect(decoded).toEqual({ type, payload: event, schemaId });
  });

  it('writes messages that a plain Confluent client decodes, and reads messages it encodes', async () => {
    const confluent = new SchemaRegistry({ host: stack.registryUrl });
    const serde = new EventSerde(client, { subjectPrefix: prefix });
    const event = sampleEvents().ReferralCreated;

    expect(await confluent.decode(await serde.encode('ReferralCreated', event))).toEqual(event);

    const schemaId = registered.find((r) => r.subject.endsWith('.ReferralCreated'))?.schemaId as number;
    const decoded = await serde.decode(await confluent.encode(schemaId, event));
    expect(decoded.payload).toEqual(event);
  });

  it('registers idempotently: a second registration keeps every schema id and adds no version', async () => {
    const again = await registerAll(client, { subjectPrefix: prefix });
    expect(again.map((r) => [r.subject, r.schemaId])).toEqual(registered.map((r) => [r.subject, r.schemaId]));
    expect(again.every((r) => r.outcome === 'unchanged')).toBe(true);
    for (const { subject } of registered) {
      expect(await client.versionsOf(subject)).toEqual([1]);
      expect(await client.compatibilityOf(subject)).toBe('FULL_TRANSITIVE');
    }
  });

  it('reports a schema id the registry does not know as UnknownSchemaIdError, not retryable', async () => {
    const failure = await rejectionOf(client.schemaOf(2_000_000_000));
    expect(failure).toBeInstanceOf(UnknownSchemaIdError);
    expect((failure as UnknownSchemaIdError).retryable).toBe(false);
  });

  it('reports an unregistered subject as SchemaNotRegisteredError when encoding', async () => {
    const serde = new EventSerde(client, { subjectPrefix: `${uniqueName('test-unregistered')}.` });
    const failure = await rejectionOf(serde.encode('ConsentWithdrawn', sampleEvents().ConsentWithdrawn));
    expect(failure).toBeInstanceOf(SchemaNotRegisteredError);
    expect((failure as SchemaNotRegisteredError).code).toBe('SCHEMA_NOT_REGISTERED');
  });

  it('reports an unreachable registry as RegistryUnavailableError, retryable, on every path', async () => {
    const down = new RegistryClient({ url: 'http://127.0.0.1:1/apis/ccompat/v7', retries: 0, timeoutMs: 2_000 });
    const serde = new EventSerde(down);
    for (const failure of [
      await rejectionOf(serde.encode('ConsentWithdrawn', sampleEvents().ConsentWithdrawn)),
      await rejectionOf(down.schemaOf(1)),
      await rejectionOf(down.versionsOf('anything')),
    ]) {
      expect(failure).toBeInstanceOf(RegistryUnavailableError);
      expect((failure as RegistryUnavailableError).retryable).toBe(true);
      expect((failure as Error).message).toContain('127.0.0.1:1');
    }
  });
});
