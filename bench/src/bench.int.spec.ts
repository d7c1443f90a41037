import { inject, describe, expect, it, afterAll } from 'vitest';
import { loadStackConfig } from '@passerelle/infra';
import { BenchContext } from './context.ts';
import { measureKafkaLimit } from './limits.ts';
import { parseArgs } from './settings.ts';

// The quick bench's cheapest part on the real stack: it proves the harness runs, not how fast anything is.
describe('bench smoke', () => {
  let ctx: BenchContext | undefined;
  afterAll(async () => {
    await ctx?.close();
  });

  it('measures the raw Kafka rate of 2,000 production payloads and reports positive numbers', async () => {
    ctx = await BenchContext.forStack(inject('stack'), loadStackConfig().home, () => undefined);
    const settings = { ...parseArgs(['--quick']), kafkaEvents: 2_000, repeats: 1 };
    const result = JSON.parse(JSON.stringify(await measureKafkaLimit(ctx, settings))) as Record<string, Record<string, number>>;
    expect(result['events']).toBe(2_000);
    for (const field of ['produce', 'consume']) {
      expect(result[field]?.['runs']).toBe(1);
      expect(result[field]?.['median']).toBeGreaterThan(0);
      expect(result[field]?.['min']).toBeGreaterThan(0);
      expect(result[field]?.['max']).toBeGreaterThan(0);
    }
  });
});
