import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { headersAsStrings, readTopic, type DeadLetterInfo } from '@passerelle/kafka';
import { loadCatalogue, type Catalogue } from '@passerelle/schemas';
import { milestone, minute, referral } from '../testing/event-builders.ts';
import { REPO_ROOT, startProjectorFixture, TestTopics, waitFor, type ProjectorFixture } from '../testing/stack-harness.ts';
import type { AcceptedEvent } from '../domain/view-model.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

const stack = inject('stack');
const topics = new TestTopics(stack);
const justiceReferrals = `${topics.prefix}justice.referrals.v1`;
const justiceMilestones = `${topics.prefix}justice.initiative-milestones.v1`;
let fixture: ProjectorFixture;

/** The catalogue as it was before initiative S2016-P2-04 was added: a milestone for it is dead-lettered until the fix ships. */
function catalogueWithout(initiativeId: string): Catalogue {
  const full = loadCatalogue();
  return { ...full, strategies: full.strategies.map((s) => ({ ...s, initiatives: s.initiatives.filter((i) => i.id !== initiativeId) })) };
}

const on = <T extends AcceptedEvent>(event: T, topic: string): T => ({ ...event, position: { ...event.position, topic } });
const applied = async (eventId: string) =>
  (await fixture.db(`view.${VIEW_TABLE.processed_events}`).where({ event_id: eventId })).length === 1;
const cli = (args: string[]) =>
  promisify(execFile)(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(REPO_ROOT, 'services/projector/src/entry-points/cli.ts'), ...args],
    {
      env: { ...process.env, ...topics.env(fixture.database.url, fixture.config.consumerGroup) },
      cwd: REPO_ROOT,
    },
  );

beforeAll(async () => {
  fixture = await startProjectorFixture({
    topics,
    databasePrefix: 'projector_poison',
    start: { catalogue: catalogueWithout('S2016-P2-04') },
  });
});

afterAll(async () => {
  await fixture?.stop();
});

describe('poison messages', () => {
  const first = referral();
  const after = referral();
  const forged = referral();
  const beforePoison = on(first.created(minute(0)), justiceReferrals);
  const afterPoison = on(after.created(minute(5)), justiceReferrals);
  const fromHealth = on(forged.created(minute(1), {}, 'HEALTH'), justiceReferrals);
  const trainingDelivered = on(milestone('S2016-P2-04', 'JUSTICE', 'REACHED', minute(9)), justiceMilestones);
  const known = on(milestone('S2016-P2-01', 'JUSTICE', 'STARTED', minute(10)), justiceMilestones);
  let letters: (DeadLetterInfo & { value: Buffer | null })[] = [];
  let poison: { bytes: Buffer; unknownSchema: Buffer; positions: Record<'bytes' | 'unknownSchema', { partition: number; offset: string }> };

  it('end in the dead-letter topic with their reason, and the events after them are applied', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff]), randomBytes(40)]);
    const unknownSchema = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), randomBytes(30)]);
    await fixture.producer.produce([beforePoison]);
    const positions = {
      bytes: await fixture.producer.sendRaw(justiceReferrals, first.referralId, bytes),
      unknownSchema: await fixture.producer.sendRaw(justiceReferrals, first.referralId, unknownSchema),
    };
    await fixture.producer.produce([fromHealth, trainingDelivered, known, afterPoison]);
    poison = { bytes, unknownSchema, positions };

    await waitFor(
      'the events around the poison applied',
      async () => (await applied(beforePoison.eventId)) && (await applied(afterPoison.eventId)) && (await applied(known.eventId)),
    );
    const dead = await waitFor('four dead letters', async () => {
      const messages = await readTopic(topics.kafka, topics.deadLetterTopic);
      return messages.length >= 4 && messages;
    });
    letters = dead.map((m) => ({ ...readDeadLetterOf(m), value: m.value }));

    expect(letters.map((l) => l.reasonCode).sort()).toEqual([
      'provenance_mismatch',
      'unknown_initiative',
      'unknown_schema_id',
      'wrong_magic_byte',
    ]);
    expect(await applied(beforePoison.eventId)).toBe(true);
    expect(await applied(fromHealth.eventId)).toBe(false);
    expect(await applied(trainingDelivered.eventId)).toBe(false);
  });

  it('keep the original bytes and say where they came from in headers, without payload values', () => {
    const byReason = new Map(letters.map((l) => [l.reasonCode, l]));
    const bytes = byReason.get('wrong_magic_byte');
    const unknownSchema = byReason.get('unknown_schema_id');

    expect(bytes?.value).toEqual(poison.bytes);
    expect(bytes).toMatchObject({
      sourceTopic: justiceReferrals,
      sourcePartition: poison.positions.bytes.partition,
      sourceOffset: poison.positions.bytes.offset,
      consumerGroup: fixture.config.consumerGroup,
    });
    expect(unknownSchema?.value).toEqual(poison.unknownSchema);
    expect(unknownSchema?.reason).toContain('2147483632');
    expect(byReason.get('provenance_mismatch')).toMatchObject({
      eventId: fromHealth.eventId,
      eventType: 'ReferralCreated',
      sourceTopic: justiceReferrals,
    });
    expect(byReason.get('provenance_mismatch')?.reason).toContain('HEALTH');
    expect(byReason.get('unknown_initiative')).toMatchObject({ eventId: trainingDelivered.eventId, sourceTopic: justiceMilestones });
    for (const letter of letters) expect(letter.reason).not.toContain(forged.pseudonym);
  });

  it('are recorded in the view and counted by reason for operators', async () => {
    const rows = await waitFor('four dead letters recorded', async () => {
      const recorded = (await fixture
        .db(`view.${VIEW_TABLE.dead_letters}`)
        .orderBy('reason_code')
        .select('reason_code', 'source_topic', 'published')) as { reason_code: string; source_topic: string; published: boolean }[];
      return recorded.length >= 4 && recorded;
    });
    const metrics = await (await fetch(`${fixture.projector.url}/metrics`)).text();

    expect(rows.map((r) => r.reason_code)).toEqual(['provenance_mismatch', 'unknown_initiative', 'unknown_schema_id', 'wrong_magic_byte']);
    expect(rows.every((r) => r.published)).toBe(true);
    expect(metrics).toMatch(/projector_dead_letters_total\{reason="unknown_schema_id"\} 1/);
    expect(metrics).toMatch(/projector_dead_letters_total\{reason="provenance_mismatch"\} 1/);
  });

  it('are listed by the operator command, headers only', async () => {
    const { stdout } = await cli(['dead-letters', 'list', '--json']);
    const listed = JSON.parse(stdout) as DeadLetterInfo[];

    expect(listed.map((l) => l.reasonCode).sort()).toEqual([
      'provenance_mismatch',
      'unknown_initiative',
      'unknown_schema_id',
      'wrong_magic_byte',
    ]);
    expect(listed.every((l) => l.id.startsWith(`${topics.deadLetterTopic}:`))).toBe(true);
    expect(stdout).not.toContain(forged.pseudonym);
  });

  it('a dead letter redriven after the fix (the catalogue now knows the initiative) is applied', async () => {
    await fixture.restart(); // the fixed release: the full catalogue
    const letter = letters.find((l) => l.reasonCode === 'unknown_initiative') as (typeof letters)[number];

    const { stdout } = await cli(['dead-letters', 'redrive', letter.id]);

    expect(stdout).toMatch(new RegExp(`redriven ${letter.id} → ${justiceMilestones.replace(/\./g, '\\.')}:\\d+:\\d+`));
    await waitFor('the redriven milestone applied', () => applied(trainingDelivered.eventId));
    const initiative = (await fixture.db(`view.${VIEW_TABLE.initiatives}`).where({ initiative_id: 'S2016-P2-04' }).first()) as {
      latest_status: string;
      milestones: number;
    };
    expect(initiative).toMatchObject({ latest_status: 'REACHED', milestones: 1 });
    const republished = (await readTopic(topics.kafka, justiceMilestones)).find(
      (m) => headersAsStrings(m.headers)['passerelle-redriven-from'] === letter.id,
    );
    expect(republished?.value).toEqual(letter.value);
    expect(Object.keys(headersAsStrings(republished?.headers)).some((h) => h.startsWith('passerelle-dlq-'))).toBe(false);
  });
});

describe('an unavailable schema registry', () => {
  it('pauses and retries instead of dead-lettering, and the event is applied once the registry answers', async () => {
    const down = topics.config(fixture.database.url, {
      registryUrl: 'http://127.0.0.1:9/apis/ccompat/v7',
      consumerGroup: `${fixture.config.consumerGroup}-registry`,
      maxRetryBackoffMs: 1_000,
    });
    const event = on(referral().created(minute(30)), justiceReferrals);
    await fixture.restart(down);
    const deadBefore = (await readTopic(topics.kafka, topics.deadLetterTopic)).length;

    await fixture.producer.produce([event]);
    await waitFor(
      'retries while the registry is down',
      async () => /projector_registry_retries_total [1-9]/.test(await (await fetch(`${fixture.projector.url}/metrics`)).text()),
      60_000,
    );
    const appliedWhileDown = await applied(event.eventId);
    await fixture.restart({ ...down, registryUrl: stack.registryUrl });
    await waitFor('the event applied once the registry answers', () => applied(event.eventId));

    expect(appliedWhileDown).toBe(false);
    expect((await readTopic(topics.kafka, topics.deadLetterTopic)).length).toBe(deadBefore);
  }, 120_000);
});

/** Reads the headers by their literal names: this is the contract operators and tools rely on. */
function readDeadLetterOf(message: {
  topic: string;
  partition: number;
  offset: string;
  headers: Parameters<typeof headersAsStrings>[0];
}): DeadLetterInfo {
  const h = headersAsStrings(message.headers);
  return {
    id: `${message.topic}:${message.partition}:${message.offset}`,
    reasonCode: h['passerelle-dlq-reason-code'] ?? '',
    reason: h['passerelle-dlq-reason'] ?? '',
    sourceTopic: h['passerelle-dlq-source-topic'] ?? '',
    sourcePartition: Number(h['passerelle-dlq-source-partition']),
    sourceOffset: h['passerelle-dlq-source-offset'] ?? '',
    consumerGroup: h['passerelle-dlq-consumer-group'],
    failedAt: h['passerelle-dlq-failed-at'],
    eventId: h['passerelle-dlq-event-id'],
    eventType: h['passerelle-dlq-event-type'],
    redrivenFrom: h['passerelle-redriven-from'],
  };
}
