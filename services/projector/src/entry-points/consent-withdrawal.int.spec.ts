import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { recordKeyOf } from '../domain/record-key.ts';
import { minute, referral } from '../testing/event-builders.ts';
import { TEST_RECORD_KEY_SECRET } from '../testing/record-keys.ts';
import { generateScenario } from '../testing/scenario-generator.ts';
import { startProjectorFixture, TestTopics, waitFor, type ProjectorFixture } from '../testing/stack-harness.ts';
import type { AcceptedEvent } from '../domain/view-model.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

const stack = inject('stack');
const topics = new TestTopics(stack);
let fixture: ProjectorFixture;

const on = <T extends AcceptedEvent>(event: T): T => ({
  ...event,
  position: { ...event.position, topic: `${topics.prefix}${event.position.topic}` },
});
const applied = async (eventId: string) =>
  (await fixture.db(`view.${VIEW_TABLE.processed_events}`).where({ event_id: eventId })).length === 1;

/**
 * Every row of every table of the view schema whose text (all columns, jsonb and arrays
 * included, through the row-to-text cast) contains `needle`. Tables are listed from the
 * catalog, so a table added later is scanned too.
 */
async function tracesOf(needle: string): Promise<{ table: string; rows: number }[]> {
  const tables = (await fixture
    .db('information_schema.tables')
    .where({ table_schema: 'view', table_type: 'BASE TABLE' })
    .pluck('table_name')) as string[];
  const found: { table: string; rows: number }[] = [];
  for (const table of tables) {
    const result = await fixture.db.raw<{ rows: { n: number }[] }>('SELECT count(*)::int AS n FROM ?? AS t WHERE t::text LIKE ?', [
      `view.${table}`,
      `%${needle}%`,
    ]);
    const rows = result.rows[0]?.n ?? 0;
    if (rows > 0) found.push({ table, rows });
  }
  return found;
}

beforeAll(async () => {
  fixture = await startProjectorFixture({ topics, databasePrefix: 'projector_consent' });
});

afterAll(async () => {
  await fixture?.stop();
});

describe('consent withdrawal', () => {
  const person = referral();
  const created = on(
    person.created(minute(0), {
      populationFlags: {
        indigenous: true,
        youngWomen: true,
        youthAtRisk: true,
        youthInOrLeavingCare: null,
        migrantWorkers: null,
        mentalHealthOrAddictions: false,
      },
    }),
  );
  const received = on(person.status('RECEIVED', minute(10)));
  const withdrawal = on(person.withdrawn(minute(20)));
  const others = generateScenario({
    seed: 11,
    referrals: 20,
    gaps: 3,
    milestones: 3,
    initiatives: [...initiativesById(loadCatalogue()).values()],
    topicPrefix: topics.prefix,
  });
  const recordKey = async () =>
    (
      (await fixture.db(`view.${VIEW_TABLE.referrals}`).where({ referral_id: person.referralId }).first('record_key')) as {
        record_key: number;
      }
    ).record_key;

  it('the pseudonym is in the view before the withdrawal (so the scan below can find it)', async () => {
    await fixture.producer.produce([...others, created, received]);

    await waitFor(
      'every event applied',
      async () =>
        Number(((await fixture.db(`view.${VIEW_TABLE.processed_events}`).count({ n: '*' })) as { n: number }[])[0]?.n) ===
        others.length + 2,
    );

    expect((await tracesOf(person.pseudonym)).map((t) => t.table).sort()).toEqual([VIEW_TABLE.referral_history, VIEW_TABLE.referrals]);
  });

  it('leaves no trace of the pseudonym in any column of any table of the view, and keeps the record key', async () => {
    const keyBefore = await recordKey();

    await fixture.producer.produce([withdrawal]);
    await waitFor('the withdrawal applied', () => applied(withdrawal.eventId));

    expect(await tracesOf(person.pseudonym)).toEqual([]);
    const row = (await fixture.db(`view.${VIEW_TABLE.referrals}`).where({ referral_id: person.referralId }).first()) as Record<
      string,
      unknown
    >;
    expect(row).toMatchObject({
      subject_pseudonym: null,
      indigenous: null,
      young_women: null,
      youth_at_risk: null,
      mental_health_or_addictions: null,
      status: 'RECEIVED',
    });
    // The referral still counts by region, status and the like: its cell keys must not move.
    expect(keyBefore).toBe(recordKeyOf(TEST_RECORD_KEY_SECRET, person.referralId));
    expect(await recordKey()).toBe(keyBefore);
  });

  it('writes a purge record saying what was removed, when and by which event, without the removed values', async () => {
    const purge = (await fixture.db(`view.${VIEW_TABLE.consent_purges}`).where({ referral_id: person.referralId }).first()) as Record<
      string,
      unknown
    >;

    expect(purge).toMatchObject({ event_id: withdrawal.eventId, source_ministry: 'JUSTICE' });
    expect((purge['withdrawn_at'] as Date).getTime()).toBe(minute(20));
    expect(purge['removed_columns']).toEqual(
      expect.arrayContaining(['referrals.subject_pseudonym', 'referrals.indigenous', 'referral_history.payload.subjectPseudonym']),
    );
    expect(JSON.stringify(purge)).not.toContain(person.pseudonym);
  });

  it('later events never bring the pseudonym back: a redelivered creation, a second creation, a status change', async () => {
    const again = on(person.created(minute(1)));
    const accepted = on(person.status('ACCEPTED', minute(30)));

    await fixture.producer.produce([created, again, accepted]);
    await waitFor('the later events applied', async () => (await applied(again.eventId)) && (await applied(accepted.eventId)));

    expect(await tracesOf(person.pseudonym)).toEqual([]);
    expect(await fixture.db(`view.${VIEW_TABLE.referrals}`).where({ referral_id: person.referralId }).first()).toMatchObject({
      status: 'ACCEPTED',
      subject_pseudonym: null,
      indigenous: null,
      record_key: recordKeyOf(TEST_RECORD_KEY_SECRET, person.referralId),
    });
  });
});
