import { describe, expect, it } from 'vitest';
import { headersAsStrings, parseMessagePosition, readDeadLetter, toDeadLetter, toRedrive } from './dead-letter.ts';
import { InvalidMessagePositionError, NotADeadLetterError } from './errors.ts';

const source = {
  topic: 'justice.referrals.v1',
  partition: 2,
  offset: '41',
  key: Buffer.from('7d8f9e2a-0000-4000-8000-000000000001'),
  value: Buffer.from([0xff, 1, 2, 3]),
  headers: { traceparent: Buffer.from('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01') },
};

describe('dead letters', () => {
  it('keep the original key, bytes and headers, and add the reason and source position as headers', () => {
    const letter = toDeadLetter(
      source,
      { code: 'wrong_magic_byte', text: 'message starts with byte 255' },
      { consumerGroup: 'passerelle-projector', failedAt: new Date('2025-03-14T09:00:00Z') },
    );

    expect(letter.key).toBe(source.key);
    expect(letter.value).toBe(source.value);
    expect(letter.headers).toEqual({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'passerelle-dlq-reason-code': 'wrong_magic_byte',
      'passerelle-dlq-reason': 'message starts with byte 255',
      'passerelle-dlq-source-topic': 'justice.referrals.v1',
      'passerelle-dlq-source-partition': '2',
      'passerelle-dlq-source-offset': '41',
      'passerelle-dlq-consumer-group': 'passerelle-projector',
      'passerelle-dlq-failed-at': '2025-03-14T09:00:00.000Z',
    });
  });

  it('are read back from their headers, and redriven to the original topic with the original bytes and no dead-letter headers', () => {
    const letter = toDeadLetter(
      source,
      { code: 'unknown_initiative', text: 'not in the catalogue' },
      { consumerGroup: 'g', failedAt: new Date(0), eventId: 'e1', eventType: 'InitiativeMilestoneRecorded' },
    );
    const stored = {
      topic: 'passerelle.dead-letter.v1',
      partition: 0,
      offset: '7',
      key: letter.key as Buffer,
      value: letter.value as Buffer,
      headers: letter.headers as Record<string, string>,
    };

    const info = readDeadLetter(stored.topic, stored.partition, stored.offset, stored.headers);
    const redrive = toRedrive(stored);

    expect(info).toMatchObject({
      id: 'passerelle.dead-letter.v1:0:7',
      reasonCode: 'unknown_initiative',
      sourceTopic: 'justice.referrals.v1',
      sourcePartition: 2,
      sourceOffset: '41',
      eventId: 'e1',
    });
    expect(redrive.topic).toBe('justice.referrals.v1');
    expect(redrive.message.value).toBe(source.value);
    expect(headersAsStrings(redrive.message.headers as never)).toEqual({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'passerelle-redriven-from': 'passerelle.dead-letter.v1:0:7',
    });
  });

  it('cuts a long reason to 500 characters', () => {
    const letter = toDeadLetter(
      source,
      { code: 'schema_validation', text: 'x'.repeat(2_000) },
      { consumerGroup: 'g', failedAt: new Date(0) },
    );

    expect((letter.headers as Record<string, string>)['passerelle-dlq-reason']).toHaveLength(500);
  });

  it('parses <topic>:<partition>:<offset> and refuses anything else', () => {
    expect(parseMessagePosition('passerelle.dead-letter.v1:2:1041')).toEqual({
      topic: 'passerelle.dead-letter.v1',
      partition: 2,
      offset: '1041',
    });
    expect(() => parseMessagePosition('passerelle.dead-letter.v1:2')).toThrow(/<topic>:<partition>:<offset>/);
    expect(() => parseMessagePosition('x')).toThrow(InvalidMessagePositionError);
  });
});

describe('the kafka lib’s errors', () => {
  it('have a stable code and say whether to retry', () => {
    expect(() => toRedrive({ topic: 'passerelle.dead-letter.v1', partition: 0, offset: '1', key: null, value: null, headers: {} })).toThrow(
      NotADeadLetterError,
    );
    const error = new InvalidMessagePositionError('bad');
    expect([error.name, error.code, error.retryable]).toEqual(['InvalidMessagePositionError', 'INVALID_MESSAGE_POSITION', false]);
  });
});
