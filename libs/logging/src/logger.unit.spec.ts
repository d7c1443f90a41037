import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from './index.ts';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line with the service, level and time', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'adapter-health', destination: stream as never });

    logger.info({ eventId: 'e-1' }, 'accepted');

    expect(lines()[0]).toMatchObject({ service: 'adapter-health', level: 'info', msg: 'accepted', eventId: 'e-1' });
    expect(typeof lines()[0]?.['time']).toBe('string');
  });

  it('redacts keys that could carry personal data, even nested', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'x', destination: stream as never });

    logger.warn(
      { record: { name: 'Canary Person', birthDate: '2009-02-03', region: 'TORONTO' }, healthCardNumber: '1234-567-890' },
      'bad record',
    );

    const text = JSON.stringify(lines());
    expect(text).not.toContain('Canary Person');
    expect(text).not.toContain('2009-02-03');
    expect(text).not.toContain('1234-567-890');
    expect(text).toContain('TORONTO');
  });
});
