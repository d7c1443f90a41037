import { describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { RedactingSpanProcessor } from './redacting-span-processor.ts';

const ended = (attributes: Record<string, unknown>) => {
  const span = { attributes: { ...attributes } } as unknown as ReadableSpan;
  new RedactingSpanProcessor().onEnd(span);
  return span.attributes;
};

describe('RedactingSpanProcessor', () => {
  it('drops query strings and message keys', () => {
    expect(
      ended({
        'url.query': 'region=EAST',
        'http.target': '/v1/referrals?x=1',
        'messaging.kafka.message.key': 'k',
        'url.full': 'http://h/v1/referrals?region=EAST',
      }),
    ).toEqual({
      'url.full': 'http://h/v1/referrals',
    });
  });

  it('masks ids in URL paths but keeps the route', () => {
    const id = '3f2b8c1e-9a4d-4e7f-8b6a-0c1d2e3f4a5b';
    const attributes = ended({
      'url.path': `/v1/referrals/${id}/flow`,
      'url.full': `http://127.0.0.1:8080/v1/referrals/${id.toUpperCase()}`,
      'http.route': '/v1/referrals/:id/flow',
    });
    expect(attributes).toEqual({
      'url.path': '/v1/referrals/:id/flow',
      'url.full': 'http://127.0.0.1:8080/v1/referrals/:id',
      'http.route': '/v1/referrals/:id/flow',
    });
    expect(JSON.stringify(attributes)).not.toContain(id.slice(0, 8));
  });
});
