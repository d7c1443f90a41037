import { describe, expect, it } from 'vitest';
import { InMemoryRegistry, sampleEvents } from '../testing/index.ts';
import { rejectionOf } from '@passerelle/testing';
import { createCodec, createCodecs } from './avro-codec.ts';
import {
  MalformedMessageError,
  RegistryUnavailableError,
  SchemaNotRegisteredError,
  SchemaValidationError,
  UnknownEventTypeError,
  UnknownSchemaIdError,
  WrongMagicByteError,
} from './errors.ts';
import { EventSerde } from './event-serde.ts';
import { NO_POPULATION_FLAGS, SEALED_PSEUDONYM_PLACEHOLDER, newDataKey, openSubject, sealSubject } from './sealed-subject.ts';
import { EVENT_TYPES, type EventType } from './event-types.ts';
import { encodeFrame } from './wire-encoder.ts';
import type { AvroRecord } from '@passerelle/schemas';

const codecs = createCodecs();

function registryWithAll(prefix = ''): InMemoryRegistry {
  const registry = new InMemoryRegistry();
  for (const codec of codecs.values()) registry.register(`${prefix}${codec.recordName}`, codec.schema);
  return registry;
}

describe('the event serde (registry in memory)', () => {
  it('round-trips every event type', async () => {
    const serde = new EventSerde(registryWithAll(), { codecs });
    const events = sampleEvents();
    for (const type of EVENT_TYPES) {
      const decoded = await serde.decode(await serde.encode(type, events[type]));
      expect(decoded.type).toBe(type);
      expect(decoded.payload).toEqual(events[type]);
    }
  });

  it('round-trips a sealed ReferralCreated: placeholders in the clear, the subject in sealedSubject', async () => {
    const serde = new EventSerde(registryWithAll(), { codecs });
    const plain = sampleEvents().ReferralCreated;
    const key = newDataKey();
    const sealed = {
      ...plain,
      subjectPseudonym: SEALED_PSEUDONYM_PLACEHOLDER,
      populationFlags: NO_POPULATION_FLAGS,
      sealedSubject: sealSubject(plain.referralId, key, plain),
    };

    const decoded = await serde.decode(await serde.encode('ReferralCreated', sealed));

    expect(decoded.payload).toEqual(sealed);
    const { sealedSubject } = decoded.payload as typeof sealed;
    expect(openSubject(plain.referralId, key, sealedSubject)).toEqual({
      subjectPseudonym: plain.subjectPseudonym,
      populationFlags: plain.populationFlags,
    });
  });

  it('refuses a sealedSubject whose nonce is not 12 bytes of base64', async () => {
    const serde = new EventSerde(registryWithAll(), { codecs });
    const plain = sampleEvents().ReferralCreated;
    const sealedSubject = { ...sealSubject(plain.referralId, newDataKey(), plain), nonce: 'AAAA' };

    await expect(serde.encode('ReferralCreated', { ...plain, sealedSubject })).rejects.toBeInstanceOf(SchemaValidationError);
  });

  it('looks a subject id up once, however many events and however concurrent', async () => {
    const registry = registryWithAll();
    const serde = new EventSerde(registry, { codecs });
    const events = sampleEvents();

    await Promise.all(Array.from({ length: 20 }, () => serde.encode('ReferralCreated', events.ReferralCreated)));
    await serde.encode('ServiceGapReported', events.ServiceGapReported);

    expect(registry.calls.idOf).toBe(2);
  });

  it('fetches a writer schema once per schema id', async () => {
    const registry = registryWithAll();
    const producer = new EventSerde(registry, { codecs });
    const consumer = new EventSerde(registry, { codecs });
    const message = await producer.encode('ConsentWithdrawn', sampleEvents().ConsentWithdrawn);

    await Promise.all(Array.from({ length: 10 }, () => consumer.decode(message)));

    expect(registry.calls.schemaOf).toBe(1);
  });

  it('forgets a failed lookup, so the next call asks the registry again', async () => {
    const registry = registryWithAll();
    const serde = new EventSerde(registry, { codecs });
    registry.failNext = new RegistryUnavailableError('registry down');

    const failure = await rejectionOf(serde.encode('ServiceGapResolved', sampleEvents().ServiceGapResolved));
    expect(failure).toBeInstanceOf(RegistryUnavailableError);
    expect((failure as RegistryUnavailableError).retryable).toBe(true);

    await expect(serde.encode('ServiceGapResolved', sampleEvents().ServiceGapResolved)).resolves.toBeInstanceOf(Buffer);
    expect(registry.calls.idOf).toBe(2);
  });

  it('uses the subject prefix in every subject it asks for', async () => {
    const serde = new EventSerde(registryWithAll('test-1234.'), { codecs, subjectPrefix: 'test-1234.' });
    expect(serde.subjectOf('ReferralCreated')).toBe('test-1234.ca.on.passerelle.v1.ReferralCreated');
    await expect(serde.encode('ReferralCreated', sampleEvents().ReferralCreated)).resolves.toBeInstanceOf(Buffer);
  });

  it('refuses to encode an event whose schema is not registered, naming the subject', async () => {
    const serde = new EventSerde(new InMemoryRegistry(), { codecs });
    const failure = await rejectionOf(serde.encode('ReferralCreated', sampleEvents().ReferralCreated));
    expect(failure).toBeInstanceOf(SchemaNotRegisteredError);
    expect((failure as Error).message).toContain('ca.on.passerelle.v1.ReferralCreated');
  });

  describe('validation before encoding', () => {
    const serde = new EventSerde(registryWithAll(), { codecs });
    const event = sampleEvents().ReferralCreated;

    it('refuses free text in the pseudonym without quoting it', async () => {
      const failure = await rejectionOf(serde.encode('ReferralCreated', { ...event, subjectPseudonym: 'Jane Doe, born 1999-01-01' }));
      expect(failure).toBeInstanceOf(SchemaValidationError);
      expect((failure as SchemaValidationError).issues).toEqual([
        'ReferralCreated.subjectPseudonym must be a string matching ^[0-9a-f]{64}$ (25 characters given)',
      ]);
      expect((failure as Error).message).not.toContain('Jane');
    });

    it('refuses an event id that is not a UUID', async () => {
      const failure = await rejectionOf(serde.encode('ReferralCreated', { ...event, envelope: { ...event.envelope, eventId: 'evt-1' } }));
      expect((failure as SchemaValidationError).issues).toEqual([
        'ReferralCreated.envelope.eventId must be a lowercase UUID (5 characters given)',
      ]);
    });

    it('refuses a field the schema does not declare', async () => {
      const withNotes = { ...event, notes: 'anything' } as unknown as typeof event;
      const failure = await rejectionOf(serde.encode('ReferralCreated', withNotes));
      expect(failure).toBeInstanceOf(SchemaValidationError);
      expect((failure as SchemaValidationError).issues).toEqual(['ReferralCreated has fields its schema does not declare: notes']);
      expect((failure as Error).message).not.toContain('anything');
    });

    it('refuses a symbol outside the enum and a missing field, naming each path', async () => {
      const bad = { ...event, region: 'OTTAWA', urgency: undefined } as unknown as typeof event;
      const failure = await rejectionOf(serde.encode('ReferralCreated', bad));
      expect((failure as SchemaValidationError).issues).toEqual(
        expect.arrayContaining(['ReferralCreated.region is not a valid ca.on.passerelle.v1.Region', 'ReferralCreated.urgency is missing']),
      );
      expect((failure as SchemaValidationError).code).toBe('SCHEMA_VALIDATION');
    });
  });

  describe('decoding', () => {
    it('refuses a message without the magic byte before asking the registry', async () => {
      const registry = registryWithAll();
      const failure = await rejectionOf(new EventSerde(registry, { codecs }).decode(Buffer.from('{"referralId":"x"}')));
      expect(failure).toBeInstanceOf(WrongMagicByteError);
      expect(registry.calls.schemaOf).toBe(0);
    });

    it('reports a schema id the registry does not know', async () => {
      const failure = await rejectionOf(new EventSerde(registryWithAll(), { codecs }).decode(encodeFrame(999_999, Buffer.from([0]))));
      expect(failure).toBeInstanceOf(UnknownSchemaIdError);
      expect((failure as UnknownSchemaIdError).schemaId).toBe(999_999);
    });

    it('reports a writer schema that is not a Passerelle event', async () => {
      const registry = new InMemoryRegistry();
      const id = registry.register('other', { type: 'record', name: 'Other', namespace: 'com.example', fields: [] });
      const failure = await rejectionOf(new EventSerde(registry, { codecs }).decode(encodeFrame(id, Buffer.alloc(0))));
      expect(failure).toBeInstanceOf(UnknownEventTypeError);
      expect((failure as Error).message).toContain('com.example.Other');
    });

    it('reports a truncated Avro body as malformed', async () => {
      const registry = registryWithAll();
      const serde = new EventSerde(registry, { codecs });
      const message = await serde.encode('ReferralStatusChanged', sampleEvents().ReferralStatusChanged);
      const failure = await rejectionOf(serde.decode(message.subarray(0, message.length - 3)));
      expect(failure).toBeInstanceOf(MalformedMessageError);
    });

    it('reads data written with an older schema version that lacked the optional fields', async () => {
      const current = codecs.get('ServiceGapResolved')?.schema as AvroRecord;
      // An earlier writer whose envelope had neither causationId, the trace context nor acceptedAt.
      const envelope = current.fields[0]?.type as AvroRecord;
      const olderEnvelope = {
        ...envelope,
        fields: envelope.fields.filter((f) => !['causationId', 'traceparent', 'tracestate', 'acceptedAt'].includes(f.name)),
      };
      const older = { ...current, fields: [{ ...current.fields[0], type: olderEnvelope }, ...current.fields.slice(1)] } as AvroRecord;
      const registry = registryWithAll();
      const id = registry.register('older', older);
      const { envelope: env, gapId, resolution } = sampleEvents().ServiceGapResolved;
      const olderEnvelopeValue = {
        eventId: env.eventId,
        occurredAt: env.occurredAt,
        sourceMinistry: env.sourceMinistry,
        correlationId: env.correlationId,
        schemaVersion: 1,
      };
      const body = createCodec('ServiceGapResolved', 'ca.on.passerelle.v1.ServiceGapResolved', older).avro.toBuffer({
        envelope: olderEnvelopeValue,
        gapId,
        resolution,
      });

      const decoded = await new EventSerde(registry, { codecs }).decode(encodeFrame(id, body));

      expect(decoded.payload).toEqual({
        envelope: { ...olderEnvelopeValue, causationId: null, traceparent: null, tracestate: null, acceptedAt: null },
        gapId,
        resolution,
      });
    });

    it('reads a symbol added by a newer writer as the enum default UNKNOWN', async () => {
      const current = codecs.get('ReferralStatusChanged')?.schema as AvroRecord;
      const text = JSON.stringify(current).replace('"WITHDRAWN"]', '"WITHDRAWN","TRANSFERRED"]');
      const newer = JSON.parse(text) as AvroRecord;
      const registry = registryWithAll();
      const id = registry.register('new', newer);
      const newerCodec = createCodec('ReferralStatusChanged', 'ca.on.passerelle.v1.ReferralStatusChanged', newer);
      const event = { ...sampleEvents().ReferralStatusChanged, status: 'TRANSFERRED' };

      const decoded = await new EventSerde(registry, { codecs }).decode(encodeFrame(id, newerCodec.avro.toBuffer(event)));

      expect(decoded.type === 'ReferralStatusChanged' && decoded.payload.status).toBe('UNKNOWN');
    });
  });
});

describe('sample events', () => {
  it('are valid for every event type, so that tests build on valid data', () => {
    const events = sampleEvents();
    for (const type of EVENT_TYPES as readonly EventType[]) expect(codecs.get(type)?.validate(events[type])).toEqual([]);
  });
});
