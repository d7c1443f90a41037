import avro from 'avsc';
import type { Resolver } from 'avsc';
import type { EventPayloads } from '@passerelle/schemas/generated';
import { fullNameOfDefinition, isRecord, type AvroType } from '@passerelle/schemas';
import { avscOptions, createCodecs, type EventCodec } from './avro-codec.ts';
import { MalformedMessageError, SchemaResolutionError, SchemaValidationError, UnknownEventTypeError } from './errors.ts';
import { eventTypeOfRecord, recordNameOf, type EventType } from './event-types.ts';
import type { SchemaRegistryPort } from './registry-client.ts';
import { subjectOf } from './subject-naming.ts';
import { decodeFrame } from './wire-decoder.ts';
import { encodeFrame } from './wire-encoder.ts';

/** A decoded event, narrowed by its `type`. */
export type DecodedEvent = {
  [T in EventType]: { readonly type: T; readonly payload: EventPayloads[T]; readonly schemaId: number };
}[EventType];

export interface EventSerdeOptions {
  /** Prefix of every subject (RecordNameStrategy); tests isolate themselves with a unique one. */
  readonly subjectPrefix?: string;
  /** The local schemas; schemas/avro by default. */
  readonly codecs?: ReadonlyMap<EventType, EventCodec>;
}

interface ReaderEntry {
  readonly codec: EventCodec;
  readonly resolver: Resolver | undefined;
}

/**
 * Encodes and decodes every event type in the Confluent wire format. Schema ids are looked up
 * once per subject and writer schemas once per id; concurrent first calls share one request,
 * and a failed lookup is forgotten so the next call tries again.
 */
export class EventSerde {
  private readonly codecs: ReadonlyMap<EventType, EventCodec>;
  private readonly subjectPrefix: string;
  private readonly idsByType = new Map<EventType, Promise<number>>();
  private readonly readersById = new Map<number, Promise<ReaderEntry>>();

  constructor(
    private readonly registry: SchemaRegistryPort,
    options: EventSerdeOptions = {},
  ) {
    this.codecs = options.codecs ?? createCodecs();
    this.subjectPrefix = options.subjectPrefix ?? '';
  }

  subjectOf(type: EventType): string {
    return subjectOf(recordNameOf(type), this.subjectPrefix);
  }

  /** Validates, then frames the Avro body with the registered schema id. */
  async encode<T extends EventType>(type: T, payload: EventPayloads[T]): Promise<Buffer> {
    const codec = this.codecOf(type);
    const issues = codec.validate(payload);
    if (issues.length > 0) throw new SchemaValidationError(type, issues);
    const schemaId = await this.cached(this.idsByType, type, () => this.registry.idOf(this.subjectOf(type), codec.schema));
    return encodeFrame(schemaId, codec.avro.toBuffer(payload));
  }

  /** Reads the header, resolves the writer schema into the local one, and validates the result. */
  async decode(message: Uint8Array): Promise<DecodedEvent> {
    const { schemaId, body } = decodeFrame(message);
    const { codec, resolver } = await this.cached(this.readersById, schemaId, () => this.readerFor(schemaId));
    let payload: unknown;
    try {
      payload = codec.avro.fromBuffer(body, resolver);
    } catch (error) {
      throw new MalformedMessageError(
        `the Avro body does not decode with schema id ${schemaId} (${codec.type}): ${(error as Error).message}`,
        { cause: error },
      );
    }
    const issues = codec.validate(payload);
    if (issues.length > 0) throw new SchemaValidationError(codec.type, issues);
    return { type: codec.type, payload, schemaId } as DecodedEvent;
  }

  private codecOf(type: EventType): EventCodec {
    const codec = this.codecs.get(type);
    if (!codec) throw new Error(`no local schema for event type ${type}`);
    return codec;
  }

  private async readerFor(schemaId: number): Promise<ReaderEntry> {
    const writerSchema: AvroType = await this.registry.schemaOf(schemaId);
    const fullName = isRecord(writerSchema) ? fullNameOfDefinition(writerSchema, undefined) : `a non-record schema`;
    const type = eventTypeOfRecord(fullName);
    if (!type) throw new UnknownEventTypeError(schemaId, fullName);
    const codec = this.codecOf(type);
    const writer = avro.Type.forSchema(writerSchema as unknown as avro.Schema, avscOptions());
    if (writer.equals(codec.avro)) return { codec, resolver: undefined };
    try {
      return { codec, resolver: codec.avro.createResolver(writer) };
    } catch (error) {
      throw new SchemaResolutionError(
        `schema id ${schemaId} (${fullName}) cannot be read with the local schema: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  private cached<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
    const existing = cache.get(key);
    if (existing) return existing;
    const loading = load();
    cache.set(key, loading);
    loading.catch(() => {
      if (cache.get(key) === loading) cache.delete(key);
    });
    return loading;
  }
}
