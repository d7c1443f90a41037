import { InvalidMessagePositionError, NotADeadLetterError } from './errors.ts';
import type { IHeaders, Message } from 'kafkajs';

/**
 * Headers a consumer adds when it moves a message to the dead-letter topic. The value and key
 * stay the original bytes, so a redrive after a fix republishes exactly what the producer sent;
 * the headers say why and where from, never what the payload contained.
 */
export const DEAD_LETTER_HEADERS = {
  reasonCode: 'passerelle-dlq-reason-code',
  reason: 'passerelle-dlq-reason',
  sourceTopic: 'passerelle-dlq-source-topic',
  sourcePartition: 'passerelle-dlq-source-partition',
  sourceOffset: 'passerelle-dlq-source-offset',
  consumerGroup: 'passerelle-dlq-consumer-group',
  failedAt: 'passerelle-dlq-failed-at',
  eventId: 'passerelle-dlq-event-id',
  eventType: 'passerelle-dlq-event-type',
} as const;

/** Set on a redriven message: the dead letter it came from (`<topic>:<partition>:<offset>`). */
export const REDRIVEN_FROM_HEADER = 'passerelle-redriven-from';

const DEAD_LETTER_PREFIX = 'passerelle-dlq-';
const MAX_REASON_LENGTH = 500;

export interface DeadLetterReason {
  /** Stable, lower snake case (`unknown_schema_id`, `provenance_mismatch`…). */
  readonly code: string;
  /** What is wrong, for an operator. Must not quote payload values. */
  readonly text: string;
}

export interface SourceMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
}

export interface DeadLetterContext {
  readonly consumerGroup: string;
  readonly failedAt: Date;
  readonly eventId?: string;
  readonly eventType?: string;
}

/** Header values as strings; kafkajs hands them over as Buffers (or arrays of them). */
export function headersAsStrings(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const single = Array.isArray(value) ? value[0] : value;
    if (single !== undefined && single !== null) result[name] = Buffer.isBuffer(single) ? single.toString('utf8') : String(single);
  }
  return result;
}

function withoutDeadLetterHeaders(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headersAsStrings(headers)).filter(([name]) => !name.startsWith(DEAD_LETTER_PREFIX)));
}

/** The dead-letter message for `source`: same key and bytes, original headers kept, reason added. */
export function toDeadLetter(source: SourceMessage, reason: DeadLetterReason, context: DeadLetterContext): Message {
  const headers: Record<string, string> = {
    ...withoutDeadLetterHeaders(source.headers),
    [DEAD_LETTER_HEADERS.reasonCode]: reason.code,
    [DEAD_LETTER_HEADERS.reason]: reason.text.slice(0, MAX_REASON_LENGTH),
    [DEAD_LETTER_HEADERS.sourceTopic]: source.topic,
    [DEAD_LETTER_HEADERS.sourcePartition]: String(source.partition),
    [DEAD_LETTER_HEADERS.sourceOffset]: source.offset,
    [DEAD_LETTER_HEADERS.consumerGroup]: context.consumerGroup,
    [DEAD_LETTER_HEADERS.failedAt]: context.failedAt.toISOString(),
  };
  if (context.eventId) headers[DEAD_LETTER_HEADERS.eventId] = context.eventId;
  if (context.eventType) headers[DEAD_LETTER_HEADERS.eventType] = context.eventType;
  return { key: source.key, value: source.value, headers };
}

/** What a dead letter says about itself, read from its headers only. */
export interface DeadLetterInfo {
  /** Where the dead letter itself sits: `<dead-letter topic>:<partition>:<offset>`. */
  readonly id: string;
  readonly reasonCode: string;
  readonly reason: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: string;
  readonly consumerGroup: string | undefined;
  readonly failedAt: string | undefined;
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
  readonly redrivenFrom: string | undefined;
}

export function readDeadLetter(topic: string, partition: number, offset: string, headers: IHeaders | undefined): DeadLetterInfo {
  const h = headersAsStrings(headers);
  return {
    id: `${topic}:${partition}:${offset}`,
    reasonCode: h[DEAD_LETTER_HEADERS.reasonCode] ?? 'unknown',
    reason: h[DEAD_LETTER_HEADERS.reason] ?? '',
    sourceTopic: h[DEAD_LETTER_HEADERS.sourceTopic] ?? '',
    sourcePartition: Number(h[DEAD_LETTER_HEADERS.sourcePartition] ?? -1),
    sourceOffset: h[DEAD_LETTER_HEADERS.sourceOffset] ?? '',
    consumerGroup: h[DEAD_LETTER_HEADERS.consumerGroup],
    failedAt: h[DEAD_LETTER_HEADERS.failedAt],
    eventId: h[DEAD_LETTER_HEADERS.eventId],
    eventType: h[DEAD_LETTER_HEADERS.eventType],
    redrivenFrom: h[REDRIVEN_FROM_HEADER],
  };
}

/**
 * The message to republish for a dead letter: original key, bytes and headers, to the original
 * topic, marked with where it was redriven from. The consumer then treats it as any message:
 * applied if the fix worked (or dropped as a duplicate), dead-lettered again if not.
 */
export function toRedrive(deadLetter: {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}): {
  topic: string;
  message: Message;
} {
  const info = readDeadLetter(deadLetter.topic, deadLetter.partition, deadLetter.offset, deadLetter.headers);
  if (!info.sourceTopic)
    throw new NotADeadLetterError(`${info.id} has no ${DEAD_LETTER_HEADERS.sourceTopic} header: not a Passerelle dead letter`);
  return {
    topic: info.sourceTopic,
    message: {
      key: deadLetter.key,
      value: deadLetter.value,
      headers: { ...withoutDeadLetterHeaders(deadLetter.headers), [REDRIVEN_FROM_HEADER]: info.id },
    },
  };
}

/** Parses `<topic>:<partition>:<offset>` (topic names may not contain ':'). */
export function parseMessagePosition(text: string): { topic: string; partition: number; offset: string } {
  const match = /^([A-Za-z0-9._-]+):(\d+):(\d+)$/.exec(text.trim());
  if (!match) throw new InvalidMessagePositionError(`"${text}" is not <topic>:<partition>:<offset>`);
  return { topic: match[1] as string, partition: Number(match[2]), offset: match[3] as string };
}
