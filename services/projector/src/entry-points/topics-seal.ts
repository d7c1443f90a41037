/**
 * `npm run projector -- topics seal [--confirm]`: moves the referrals published before sealed
 * subjects existed (a ReferralCreated whose pseudonym and population flags travel in
 * plaintext) to the sealed form, on every topic the projector reads and on its dead-letter
 * topic, so that destroying a referral's data key makes every copy of its subject unreadable.
 *
 * Per partition (see domain/topic-seal-plan.ts): the records up to the last legacy creation are
 * appended again (legacy creations sealed under the referral's data key, created here when the
 * referral has none; under a throw-away key when its key was already destroyed), the live view's
 * positions of those events move to the copies (so that a rebuild from the topics gives the same
 * view), legacy history bodies take the sealed form the projector would have stored, and the
 * prefix is deleted. Copies keep the event id: the projector skips them as duplicates. Every
 * step can be run again after a crash; nothing is deleted before its copy is acknowledged and the
 * view points at it.
 */
import type { IHeaders, Kafka } from 'kafkajs';
import {
  ContractError,
  EventSerde,
  NO_POPULATION_FLAGS,
  RegistryClient,
  RegistryRequestError,
  SEALED_PSEUDONYM_PLACEHOLDER,
  newDataKey,
  sealSubject,
  type DecodedEvent,
} from '@passerelle/contracts';
import { createDatabase, dataKeyFor, destroyDataKey, type Knex } from '@passerelle/db';
import { createIdempotentProducer, createKafka, headersAsStrings, kafkaAccessOf, readTopic, type ReadMessage } from '@passerelle/kafka';
import type { ProjectorConfig } from '../config.ts';
import { planPartitionSeal, positionOf, SEALED_COPY_HEADER, type PartitionRecord } from '../domain/topic-seal-plan.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/** Records per produce request: well under the broker's batch size limit for events of a few kilobytes. */
const COPY_BATCH = 200;

/** View tables that record the Kafka position an event came from. */
const POSITIONED_TABLES = [
  VIEW_TABLE.processed_events,
  VIEW_TABLE.referral_history,
  VIEW_TABLE.initiative_milestones,
  VIEW_TABLE.service_gap_events,
  VIEW_TABLE.dead_letters,
] as const;

export interface TopicSealReport {
  readonly topic: string;
  readonly records: number;
  readonly legacyCreations: number;
  readonly copied: number;
  readonly deleted: ReadonlyArray<{ readonly partition: number; readonly below: string }>;
}

export interface SealTopicsOptions {
  readonly confirm: boolean;
  readonly progress?: (line: string) => void;
  /** How long reading one topic to its end may take (default 120 s). */
  readonly readTimeoutMs?: number;
}

interface Classified {
  readonly message: ReadMessage;
  readonly record: PartitionRecord;
  readonly decoded: DecodedEvent | null;
}

const isLegacy = (decoded: DecodedEvent | null): boolean =>
  decoded?.type === 'ReferralCreated' &&
  decoded.payload.sealedSubject === null &&
  decoded.payload.subjectPseudonym !== SEALED_PSEUDONYM_PLACEHOLDER;

async function classify(serde: EventSerde, message: ReadMessage): Promise<Classified> {
  // Bytes that are not a valid event are copied as they are; a registry that cannot be reached
  // stops the run before anything is written (a plaintext creation must not pass for garbage).
  const decoded = message.value
    ? await serde.decode(message.value).catch((error: unknown) => {
        if (error instanceof ContractError && !error.retryable && !(error instanceof RegistryRequestError)) return null;
        throw error;
      })
    : null;
  const origin = headersAsStrings(message.headers)[SEALED_COPY_HEADER] ?? positionOf(message.topic, message.partition, message.offset);
  return { message, decoded, record: { offset: BigInt(message.offset), origin, legacy: isLegacy(decoded) } };
}

/** The body the projector stores in referral_history for an event: the payload without its envelope. */
function historyBodyOf(decoded: DecodedEvent): Record<string, unknown> {
  const { envelope: _envelope, ...body } = decoded.payload as unknown as Record<string, unknown>;
  return body;
}

/** What the live view keeps of a sealed creation: its history body, and the sealed subject when its key is live. */
interface SealedForView {
  readonly body: Record<string, unknown>;
  readonly subject: unknown;
}

/** The sealed form of a legacy creation, and what the view holds for it. */
async function sealLegacy(
  db: Knex,
  config: ProjectorConfig,
  serde: EventSerde,
  decoded: DecodedEvent,
): Promise<{ value: Buffer } & SealedForView> {
  if (decoded.type !== 'ReferralCreated') throw new Error('only a ReferralCreated is sealed');
  const { payload } = decoded;
  // The key belongs to the ministry the view says created the referral (the projector refuses any
  // other ministry's creation of a keyed referral id); a duplicate creation by another ministry is
  // sealed under a key nobody keeps, like one whose key a withdrawal destroyed.
  const owner = (await db
    .withSchema(config.viewSchema)
    .table(VIEW_TABLE.referrals)
    .where({ referral_id: payload.referralId })
    .first('created_by', 'consent_withdrawn_at')) as { created_by: string; consent_withdrawn_at: Date | null } | undefined;
  const source = payload.envelope.sourceMinistry;
  const state = await db.transaction(async (trx) => {
    if (owner?.consent_withdrawn_at) {
      // Withdrawn before the key store existed: the referral gets a tombstone, never a live key.
      const purge = (await trx
        .withSchema(config.viewSchema)
        .table(VIEW_TABLE.consent_purges)
        .where({ referral_id: payload.referralId })
        .orderBy('withdrawn_at')
        .first('event_id')) as { event_id: string } | undefined;
      if (purge) await destroyDataKey(trx, payload.referralId, purge.event_id, config.keyEncryptionKey.id);
      return { state: 'missing' } as const;
    }
    if (owner && owner.created_by !== source) return { state: 'missing' } as const;
    return dataKeyFor(trx, config.keyEncryptionKey, payload.referralId, source, newDataKey);
  });
  const key = state.state === 'live' ? state.key : newDataKey();
  const sealedSubject = sealSubject(payload.referralId, key, {
    subjectPseudonym: payload.subjectPseudonym,
    populationFlags: payload.populationFlags,
  });
  const value = await serde.encode('ReferralCreated', {
    ...payload,
    subjectPseudonym: SEALED_PSEUDONYM_PLACEHOLDER,
    populationFlags: { ...NO_POPULATION_FLAGS },
    sealedSubject,
  });
  const body = historyBodyOf(await serde.decode(value));
  return { value, body, subject: state.state === 'live' ? body['sealedSubject'] : null };
}

/** Points the live view's rows at the copies, and gives sealed history bodies their new form; one transaction. */
async function moveViewPositions(
  db: Knex,
  schema: string,
  moves: ReadonlyArray<{
    readonly from: { topic: string; partition: number; offset: string };
    readonly to: { topic: string; partition: number; offset: string };
  }>,
  bodies: ReadonlyMap<string, SealedForView>,
): Promise<void> {
  await db.transaction(async (trx) => {
    const exists = await trx.raw('SELECT to_regclass(?) AS t', [`"${schema}".${VIEW_TABLE.processed_events}`]);
    if (!(exists.rows[0] as { t: string | null }).t) return;
    for (const { from, to } of moves) {
      const at = { source_topic: from.topic, source_partition: from.partition, source_offset: from.offset };
      const next = { source_topic: to.topic, source_partition: to.partition, source_offset: to.offset };
      // A dead letter is keyed by its position: the projector may already have dead-lettered the copy.
      const copyDeadLettered = await trx.withSchema(schema).table(VIEW_TABLE.dead_letters).where(next).first();
      if (copyDeadLettered) await trx.withSchema(schema).table(VIEW_TABLE.dead_letters).where(at).delete();
      for (const table of POSITIONED_TABLES) await trx.withSchema(schema).table(table).where(at).update(next);
    }
    for (const [eventId, { body, subject }] of bodies) {
      // Only a body still holding the subject: a withdrawal's purge already stripped the others.
      await trx
        .withSchema(schema)
        .table(VIEW_TABLE.referral_history)
        .where({ event_id: eventId })
        .whereRaw('payload \\? ?', ['subjectPseudonym'])
        .update({ payload: JSON.stringify(body) });
      // The referral row keeps the subject sealed from now on, as the projector keeps a sealed creation's.
      if (subject) {
        await trx
          .withSchema(schema)
          .table(VIEW_TABLE.referrals)
          .where({ created_event_id: eventId })
          .whereNotNull('subject_pseudonym')
          .update({ subject_pseudonym: null, subject_sealed: JSON.stringify(subject) });
      }
    }
  });
}

async function sealTopic(
  kafka: Kafka,
  db: Knex,
  config: ProjectorConfig,
  serde: EventSerde,
  topic: string,
  options: SealTopicsOptions,
): Promise<TopicSealReport> {
  const messages = await readTopic(kafka, topic, { groupPrefix: 'passerelle-topics-seal', timeoutMs: options.readTimeoutMs ?? 120_000 });
  const classified = await Promise.all(messages.map((m) => classify(serde, m)));
  const partitions = [...new Set(classified.map((c) => c.message.partition))].sort((a, b) => a - b);
  const report = {
    topic,
    records: messages.length,
    legacyCreations: classified.filter((c) => c.record.legacy).length,
    copied: 0,
    deleted: [] as Array<{ partition: number; below: string }>,
  };
  if (!options.confirm || report.legacyCreations === 0) return report;

  const producer = createIdempotentProducer(kafka);
  const admin = kafka.admin();
  await producer.connect();
  await admin.connect();
  try {
    // deleteTopicRecords finds the partitions' leaders in metadata the admin client must have loaded.
    await admin.fetchTopicMetadata({ topics: [topic] });
    for (const partition of partitions) {
      const inPartition = classified.filter((c) => c.message.partition === partition);
      const plan = planPartitionSeal(inPartition.map((c) => c.record));
      if (plan.deleteBelow === null) continue;
      const byOffset = new Map(inPartition.map((c) => [c.record.offset, c]));
      const bodies = new Map<string, SealedForView>();
      const outgoing: Array<{ key: Buffer | null; value: Buffer | null; headers: IHeaders; partition: number; timestamp: string }> = [];
      for (const record of plan.copy) {
        const entry = byOffset.get(record.offset) as Classified;
        let value = entry.message.value;
        if (record.legacy && entry.decoded) {
          const sealed = await sealLegacy(db, config, serde, entry.decoded);
          value = sealed.value;
          bodies.set(entry.decoded.payload.envelope.eventId, { body: sealed.body, subject: sealed.subject });
        }
        outgoing.push({
          key: entry.message.key,
          value,
          partition,
          // The copy keeps the original's timestamp: the view's published_at is when the event was
          // published, and a rebuild from the sealed topics must read the same time.
          timestamp: entry.message.timestamp,
          headers: { ...entry.message.headers, [SEALED_COPY_HEADER]: record.origin },
        });
      }
      const copies = new Map<string, string>();
      // Batches sent one after the other, to one partition, by an idempotent producer: the copies keep their order.
      for (let start = 0; start < outgoing.length; start += COPY_BATCH) {
        const [meta] = await producer.send({ topic, acks: -1, messages: outgoing.slice(start, start + COPY_BATCH) });
        const base = BigInt(meta?.baseOffset ?? '0');
        plan.copy.slice(start, start + COPY_BATCH).forEach((record, i) => copies.set(record.origin, String(base + BigInt(i))));
      }
      report.copied += outgoing.length;
      // Copies made by an earlier run that stopped before its deletion: found after the prefix.
      for (const c of inPartition)
        if (c.record.offset >= plan.deleteBelow && !copies.has(c.record.origin)) copies.set(c.record.origin, c.message.offset);
      // Bodies of legacy creations copied by such an earlier run: sealed again from the copy as it stands.
      for (const record of plan.moved) {
        const entry = byOffset.get(record.offset) as Classified;
        const copyOffset = copies.get(record.origin);
        if (!record.legacy || !entry.decoded || bodies.has(entry.decoded.payload.envelope.eventId) || copyOffset === undefined) continue;
        const copy = byOffset.get(BigInt(copyOffset));
        if (!copy?.decoded) continue;
        const body = historyBodyOf(copy.decoded);
        // A referral whose key is destroyed has its row purged already: the update below skips it.
        bodies.set(copy.decoded.payload.envelope.eventId, { body, subject: body['sealedSubject'] ?? null });
      }
      const moves = plan.moved.flatMap((record) => {
        const to = copies.get(record.origin);
        return to === undefined
          ? []
          : [{ from: { topic, partition, offset: String(record.offset) }, to: { topic, partition, offset: to } }];
      });
      await moveViewPositions(db, config.viewSchema, moves, bodies);
      await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: String(plan.deleteBelow) }] });
      report.deleted.push({ partition, below: String(plan.deleteBelow) });
      options.progress?.(
        `${topic}[${partition}]: ${outgoing.length} records appended again, records below offset ${plan.deleteBelow} deleted`,
      );
    }
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  return report;
}

/** Every topic the projector reads (its pattern) and its dead-letter topic, sealed or, without `confirm`, surveyed. */
export async function sealTopics(config: ProjectorConfig, options: SealTopicsOptions): Promise<TopicSealReport[]> {
  const kafka = createKafka({ clientId: 'passerelle-topics-seal', ...kafkaAccessOf(config), retries: 2 });
  const db = createDatabase({ url: config.databaseUrl, applicationName: 'passerelle-topics-seal' });
  const serde = new EventSerde(new RegistryClient({ url: config.registryUrl }));
  const admin = kafka.admin();
  try {
    await admin.connect();
    const all = await admin.listTopics();
    await admin.disconnect();
    const topics = [
      ...all.filter((t) => config.topicPattern.test(t)).sort(),
      ...(all.includes(config.deadLetterTopic) ? [config.deadLetterTopic] : []),
    ];
    const reports: TopicSealReport[] = [];
    for (const [i, topic] of topics.entries()) {
      options.progress?.(`[${i + 1}/${topics.length}] ${topic}`);
      reports.push(await sealTopic(kafka, db, config, serde, topic, options));
    }
    return reports;
  } finally {
    await db.destroy();
  }
}
