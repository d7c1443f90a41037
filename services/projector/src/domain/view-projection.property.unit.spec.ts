import { beforeAll, describe, expect, it } from 'vitest';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { InMemoryView } from '../testing/in-memory-view.ts';
import { createRng, generateScenario, inOccurrenceOrder, randomBatches, shuffle, withDuplicates } from '../testing/scenario-generator.ts';
import { initiativeRowsOf } from './initiative.projection.ts';
import { comparable, type AcceptedEvent } from './view-model.ts';
import { partiesTo } from './referral.projection.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

const catalogue = loadCatalogue();
const initiatives = [...initiativesById(catalogue).values()];
const PERMUTATIONS = 200;
/** PROJECTOR_PROPERTY_SEED=<n> replays a reported failure. */
const seed = Number(process.env['PROJECTOR_PROPERTY_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

/**
 * The status changes and withdrawals whose source is not a party to their referral, by an oracle
 * of its own: the referring and receiving ministry of the referral's earliest creation. Writes
 * about a referral whose creation never arrives are not judged (nothing is known of its parties).
 */
function nonPartyWrites(events: readonly AcceptedEvent[]): Set<string> {
  const creations = new Map<string, AcceptedEvent<'ReferralCreated'>>();
  for (const event of events) {
    if (event.type !== 'ReferralCreated') continue;
    const created = event as AcceptedEvent<'ReferralCreated'>;
    const earlier = creations.get(created.payload.referralId);
    if (
      !earlier ||
      created.occurredAt < earlier.occurredAt ||
      (created.occurredAt === earlier.occurredAt && created.eventId < earlier.eventId)
    )
      creations.set(created.payload.referralId, created);
  }
  const found = new Set<string>();
  for (const event of events) {
    if (event.type !== 'ReferralStatusChanged' && event.type !== 'ConsentWithdrawn') continue;
    const creation = creations.get((event.payload as { referralId: string }).referralId);
    if (creation && !partiesTo(creation.payload.referringMinistry, creation.payload.receivingMinistry).includes(event.sourceMinistry))
      found.add(event.eventId);
  }
  return found;
}

async function project(batches: readonly (readonly AcceptedEvent[])[]) {
  const view = new InMemoryView(initiativeRowsOf(catalogue));
  // A different wall clock per batch: bookkeeping columns must be the only thing it changes.
  for (const [i, batch] of batches.entries()) await view.apply(batch, 1_000 + i);
  return view.snapshot();
}

describe('the projection under any delivery order, non-party writes included', () => {
  const events = generateScenario({ seed, referrals: 60, gaps: 15, milestones: 40, initiatives });
  let expected: Awaited<ReturnType<typeof project>>;

  beforeAll(async () => {
    expected = await project(inOccurrenceOrder(events).map((event) => [event]));
  });

  it('generates a scenario with every hard case in it (else the property below proves little)', async () => {
    expect(expected.referrals.length, `seed ${seed}`).toBeGreaterThan(40);
    expect(expected.illegal_transitions.length, `seed ${seed}`).toBeGreaterThan(0);
    expect(expected.consent_purges.length, `seed ${seed}`).toBeGreaterThan(0);
    expect(
      expected.service_gaps.some((gap) => gap.status === 'RESOLVED'),
      `seed ${seed}`,
    ).toBe(true);
    const refused = expected.illegal_transitions.filter((row) => row.reason_code === 'not_a_party');
    expect(new Set(refused.map((row) => row.event_type)), `seed ${seed}: non-party status changes and withdrawals`).toEqual(
      new Set(['ReferralStatusChanged', 'ConsentWithdrawn']),
    );
    const pending = new Set(expected.referral_history.map((row) => row.referral_id));
    for (const row of expected.referrals) pending.delete(row.referral_id);
    expect(pending.size, `seed ${seed}: referrals whose creation never arrives`).toBeGreaterThan(0);
  });

  it('never applies a write from a non-party: each is flagged not_a_party, and the view is the one without them', async () => {
    const nonParty = nonPartyWrites(events);
    const without = await project(inOccurrenceOrder(events.filter((event) => !nonParty.has(event.eventId))).map((event) => [event]));
    // The refusals are the only difference: the referral rows count them, and the history keeps them.
    const applied = (view: typeof expected) => ({
      referrals: comparable(view, { tables: [VIEW_TABLE.referrals] })[VIEW_TABLE.referrals]?.map(
        ({ illegal_transitions: _flags, ...row }) => row,
      ),
      consent_purges: comparable(view, { tables: [VIEW_TABLE.consent_purges] })[VIEW_TABLE.consent_purges],
      history: comparable(view, { tables: [VIEW_TABLE.referral_history] })[VIEW_TABLE.referral_history]?.filter(
        (row) => !nonParty.has(row['event_id'] as string),
      ),
      other: comparable(view, { tables: [VIEW_TABLE.illegal_transitions] })[VIEW_TABLE.illegal_transitions]?.filter(
        (row) => row['reason_code'] !== 'not_a_party',
      ),
    });

    expect(nonParty.size, `seed ${seed}`).toBeGreaterThan(0);
    expect(
      new Set(expected.illegal_transitions.filter((row) => row.reason_code === 'not_a_party').map((row) => row.event_id)),
      `seed ${seed}`,
    ).toEqual(nonParty);
    expect(applied(expected), `seed ${seed}`).toEqual(applied(without));
  });

  it(`yields the in-order view for ${PERMUTATIONS} random interleavings across topics, with redeliveries and random batch cuts`, async () => {
    const rng = createRng(seed);
    for (let permutation = 0; permutation < PERMUTATIONS; permutation++) {
      const delivery = withDuplicates(rng, shuffle(rng, events), 0.1);
      const actual = await project(randomBatches(rng, delivery, 40));
      const where = `seed ${seed}, permutation ${permutation} (replay with PROJECTOR_PROPERTY_SEED=${seed})`;
      expect(comparable(actual), where).toEqual(comparable(expected));
    }
  }, 60_000);

  it('yields the in-order view when each topic partition is delivered in order but topics interleave at random', async () => {
    const rng = createRng(seed ^ 0x5f3759df);
    const partitions = new Map<string, AcceptedEvent[]>();
    for (const event of events) {
      const key = `${event.position.topic}:${event.position.partition}`;
      partitions.set(key, [...(partitions.get(key) ?? []), event]);
    }
    for (let permutation = 0; permutation < 50; permutation++) {
      const queues = [...partitions.values()].map((queue) => [...queue]);
      const delivery: AcceptedEvent[] = [];
      while (queues.some((queue) => queue.length > 0)) {
        const queue = rng.pick(queues.filter((q) => q.length > 0));
        delivery.push(...queue.splice(0, rng.int(1, 5)));
      }
      const actual = await project(randomBatches(rng, delivery, 25));
      expect(comparable(actual), `seed ${seed}, permutation ${permutation}`).toEqual(comparable(expected));
    }
  }, 60_000);

  it('applies nothing twice: delivering every event three times gives the same view and counts', async () => {
    const view = new InMemoryView(initiativeRowsOf(catalogue));
    const first = await view.apply(events);
    const again = await view.apply(events);
    const third = await view.apply(shuffle(createRng(seed), events));

    expect(first).toEqual({ applied: events.length, duplicates: 0 });
    expect(again).toEqual({ applied: 0, duplicates: events.length });
    expect(third.applied).toBe(0);
    expect(comparable(view.snapshot())).toEqual(comparable(expected));
  });
});
