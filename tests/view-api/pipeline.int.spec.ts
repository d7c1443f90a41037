import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { VIEW_TABLE } from '@passerelle/coordination-view';
import { createTestDatabase, freePort, type TestDatabase } from '@passerelle/testing';
import { startAdapters, stopAdapters, type StartedAdapter } from '../adapters/adapter-harness.ts';
import { startViewApi, VIEW_SCHEMA, type ViewApiHarness } from './harness.ts';
import { SEED } from './view-seed.ts';

/**
 * The operator's pipeline figures, from a real adapter's /metrics and the view's own history:
 * each hop's latency over the window, dead letters, the outbox, and a service that does not
 * answer reported as unreachable, never as zero.
 */
const stack = inject('stack');
let h: ViewApiHarness;
let adapterDatabase: TestDatabase;
let adapters: Record<string, StartedAdapter>;
const silentPort = await freePort();
/** A metrics source that never stops answering (chunked, so with no length to refuse it by): how much it got to send. */
let flood: Server;
let floodSent = 0;
let floodClosed = false;

beforeAll(async () => {
  flood = createServer((_req, res) => {
    const chunk = Buffer.alloc(64 * 1024, '# padding\n');
    const more = (): void => {
      while (!res.destroyed && res.write(chunk)) floodSent += chunk.length;
      if (!res.destroyed) res.once('drain', more);
    };
    res.on('close', () => (floodClosed = true));
    res.writeHead(200, { 'content-type': 'text/plain' });
    more();
  });
  await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
  const floodPort = (flood.address() as { port: number }).port;
  adapterDatabase = await createTestDatabase(stack.databaseUrl, 'pipeline_adapter');
  adapters = await startAdapters({ ...stack, databaseUrl: adapterDatabase.url }, ['justice']);
  h = await startViewApi(stack.databaseUrl, 'view_api_pipeline', {
    pipelineSources: [
      { service: 'adapter-justice', url: adapters['justice']?.url ?? '' },
      { service: 'projector', url: `http://127.0.0.1:${silentPort}` },
      { service: 'adapter-health', url: `http://127.0.0.1:${floodPort}` },
    ],
  });
  // Three referral events applied a minute ago: accepted → published after 100, 200, 300 ms, applied 1, 2, 3 s later.
  const applied = Date.now() - 60_000;
  await h.db
    .withSchema(VIEW_SCHEMA)
    .table(VIEW_TABLE.referral_history)
    .insert(
      [1, 2, 3].map((n) => ({
        event_id: randomUUID(),
        referral_id: SEED.justiceToChildWelfare,
        event_type: 'ReferralStatusChanged',
        source_ministry: 'CHILD_WELFARE',
        occurred_at: new Date(applied - 86_400_000),
        source_topic: 'child-welfare.referrals.v1',
        source_partition: 0,
        source_offset: 1000 + n,
        trace_id: null,
        payload: JSON.stringify({ referralId: SEED.justiceToChildWelfare }),
        accepted_at: new Date(applied - n * 1000 - n * 100),
        published_at: new Date(applied - n * 1000),
        consumed_at: new Date(applied),
      })),
    );
}, 120_000);

afterAll(async () => {
  await h?.close();
  flood?.closeAllConnections();
  await new Promise((resolve) => flood?.close(resolve));
  if (adapters) await stopAdapters(adapters);
  await adapterDatabase?.drop();
});

describe('GET /v1/pipeline', () => {
  it('gives the operator each hop’s latency over the window, the dead letters, the outbox and the lag, unreachable services named', async () => {
    const response = await h.get('/v1/pipeline?windowHours=1', await h.token('operator'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;

    expect(body).toMatchObject({
      windowHours: 1,
      latency: {
        events: 3,
        acceptedToPublishedMs: { p50: 200, max: 300 },
        publishedToAppliedMs: { p50: 2000, max: 3000 },
        acceptedToAppliedMs: { p50: 2200, max: 3300 },
      },
      deadLetters: 1,
    });
    const services = body['services'] as Array<Record<string, unknown>>;
    expect(services[0]).toMatchObject({ service: 'adapter-justice', reachable: true, outboxDepth: 0, consumerLag: [] });
    expect(services[1]).toEqual({
      service: 'projector',
      reachable: false,
      outboxDepth: null,
      oldestUnpublishedAgeSeconds: null,
      consumerLag: [],
    });
    // An answer past 2 MB is cut off while it is read, not after: the source is reported unreachable.
    expect(services[2]).toMatchObject({ service: 'adapter-health', reachable: false, outboxDepth: null });
    expect(floodClosed).toBe(true);
    expect(floodSent).toBeLessThan(16_000_000);
  });

  it('is the operator’s alone, and refuses a window outside 1–720 hours with a problem naming it', async () => {
    for (const [role, ministry] of [['coordination-office'], ['ministry', 'JUSTICE'], ['indigenous-partner']] as const)
      expect((await h.get('/v1/pipeline', await h.token(role, ministry))).status).toBe(403);
    for (const bad of ['0', '721', '1.5', 'abc', '-3']) {
      const answer = await h.get(`/v1/pipeline?windowHours=${bad}`, await h.token('operator'));
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ errors: [expect.objectContaining({ field: 'windowHours' })] });
    }
  });
});
