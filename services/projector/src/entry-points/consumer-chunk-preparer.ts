import type { Span } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { EventSerde } from '@passerelle/contracts';
import { headersAsStrings } from '@passerelle/kafka';
import type { Initiative } from '@passerelle/schemas';
import { classifyDecoded, createdReferralIds, EMPTY_MESSAGE, openChunkSubjects, type EntryRejection } from '../domain/batch-entry.ts';
import { classifyDecodeFailure } from '../domain/event-checks.ts';
import type { AcceptedEvent } from '../domain/view-model.ts';
import type { ConsumerRepository } from './consumer-options.ts';
import { markError, markEvent, type ConsumerSpans } from './consumer-spans.ts';

/** The record's timestamp as the publication time; nothing when the broker gave none (-1) or garbage. */
function publishedAtOf(message: KafkaMessage): { publishedAt?: number } {
  const timestamp = Number(message.timestamp);
  return Number.isSafeInteger(timestamp) && timestamp > 0 ? { publishedAt: timestamp } : {};
}

/** A message refused before it reaches the view: dead-lettered with the chunk. */
export interface Rejected extends EntryRejection {
  readonly message: KafkaMessage;
}

/** A partition's chunk, decoded and checked, waiting to be applied with others. */
export interface PreparedChunk {
  readonly topic: string;
  readonly partition: number;
  /** The messages this chunk settles: all of them, or those before the first the registry could not decode. */
  readonly handled: readonly KafkaMessage[];
  readonly accepted: readonly AcceptedEvent[];
  readonly rejected: readonly Rejected[];
  /** Each message's span, by offset. */
  readonly spans: ReadonlyMap<string, Span>;
  readonly retry: boolean;
  readonly batchSpan: Span;
}

export interface ChunkPreparerOptions {
  readonly serde: EventSerde;
  readonly initiatives: ReadonlyMap<string, Initiative>;
  readonly repository: Pick<ConsumerRepository, 'readSubjectKeys'>;
  readonly spans: ConsumerSpans;
  /** Called after each message the registry decoded. */
  readonly onRegistryAnswer: () => void;
}

/**
 * Reads a chunk of one partition's batch: starts each message's span, decodes it (the registry),
 * checks it, and opens its sealed subject with the data keys (one key-store query); what becomes
 * of each message is decided in domain/batch-entry.ts.
 */
export class ChunkPreparer {
  constructor(private readonly options: ChunkPreparerOptions) {}

  /** Decodes and checks a chunk's messages, up to the first one the registry could not decode (retried later). */
  async prepare(topic: string, partition: number, messages: readonly KafkaMessage[], batchSpan: Span): Promise<PreparedChunk> {
    const accepted: AcceptedEvent[] = [];
    const rejected: Rejected[] = [];
    const spans = new Map<string, Span>();
    const messageAt = new Map<number, KafkaMessage>();
    let retryAt: number | undefined;

    for (const [index, message] of messages.entries()) {
      const headers = headersAsStrings(message.headers);
      const span = this.options.spans.messageSpan(topic, partition, message, headers, batchSpan);
      spans.set(message.offset, span);
      if (!message.value || message.value.length === 0) {
        rejected.push({ message, rejection: EMPTY_MESSAGE });
        continue;
      }
      let decoded;
      try {
        decoded = await this.options.serde.decode(message.value);
        this.options.onRegistryAnswer();
      } catch (error) {
        const failure = classifyDecodeFailure(error);
        if (failure.retry) {
          retryAt = index;
          markError(span, error);
          break;
        }
        rejected.push({ message, rejection: failure.rejection });
        continue;
      }
      markEvent(span, decoded.payload.envelope.eventId, decoded.type);
      const verdict = classifyDecoded(
        decoded,
        { topic, partition, offset: Number(message.offset), ...publishedAtOf(message) },
        headers['traceparent'],
        this.options.initiatives,
      );
      if (!verdict.accepted) {
        rejected.push({ message, rejection: verdict.rejection, eventId: verdict.eventId, eventType: verdict.eventType });
        continue;
      }
      messageAt.set(Number(message.offset), message);
      accepted.push(verdict.event);
    }
    const opened = await this.openSealedSubjects(accepted);
    for (const { event, rejection } of opened.refused) {
      rejected.push({
        message: messageAt.get(event.position.offset) as KafkaMessage,
        rejection,
        eventId: event.eventId,
        eventType: event.type,
      });
    }
    const handled = retryAt === undefined ? messages : messages.slice(0, retryAt);
    return { topic, partition, handled, accepted: opened.kept, rejected, spans, retry: retryAt !== undefined, batchSpan };
  }

  /** Reads the keys of the chunk's creations (none read when it has none) and opens their subjects. */
  private async openSealedSubjects(events: AcceptedEvent[]): Promise<ReturnType<typeof openChunkSubjects>> {
    const referralIds = createdReferralIds(events);
    if (referralIds.length === 0) return { kept: events, refused: [] };
    return openChunkSubjects(events, await this.options.repository.readSubjectKeys(referralIds));
  }
}
