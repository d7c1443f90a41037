import type { Kafka } from 'kafkajs';
import { EventSerde, RegistryClient } from '@passerelle/contracts';
import { createDatabase } from '@passerelle/db';
import { createKafka, kafkaAccessOf, readTopic } from '@passerelle/kafka';
import type { ProjectorConfig } from '../config.ts';
import { FindingTally, readabilityOf, type ErasureFinding } from '../domain/erasure-findings.ts';
import type { SubjectKeyState } from '../domain/subject-opening.ts';
import { otherViewSchemas, scanOutboxes, scanViewSchema } from '../data-access/erasure-scan.repository.ts';
import { erasureReceiptsOf, readSubjectKeys, type ErasureReceipt } from '../data-access/key-store.repository.ts';

export interface ErasureReport {
  readonly referralId: string;
  readonly key: SubjectKeyState['state'];
  readonly receipts: readonly ErasureReceipt[];
  /** Every place where something of the subject can still be read; empty when the erasure holds. */
  readonly findings: readonly ErasureFinding[];
  /** Places scanned, with how many rows or messages each held (about the referral for tables, in all for topics). */
  readonly scanned: readonly { readonly place: string; readonly items: number }[];
}

export interface VerifyOptions {
  /** Told before and after each place: long topic scans show progress. */
  readonly onProgress?: (line: string) => void;
  /** The Kafka client (an admin principal's, which may read every topic); one from the configuration otherwise. */
  readonly kafka?: Kafka;
}

/**
 * `erasure verify <referralId>`: looks everywhere a copy of the referral's subject may be and
 * reports where anything of it can still be read. The key store (a live key opens every sealed
 * copy), the live view and every other view schema, the adapters' outboxes, the dead-letter
 * topic and the ministry topics, read from their beginning and decoded, each sealed subject
 * tried with the referral's key. Needs the migrator's database URL (it reads every schema) and
 * Kafka credentials that may read the ministry topics (the admin principal).
 */
export async function verifyErasure(config: ProjectorConfig, referralId: string, options: VerifyOptions = {}): Promise<ErasureReport> {
  const progress = options.onProgress ?? (() => undefined);
  const tally = new FindingTally();
  const scanned: { place: string; items: number }[] = [];
  const db = createDatabase({
    url: config.migrationDatabaseUrl ?? config.databaseUrl,
    poolMax: 2,
    applicationName: 'passerelle-projector-erasure-verify',
  });
  let key: SubjectKeyState;
  let receipts: ErasureReceipt[] = [];
  try {
    progress('scanning the key store');
    key = (
      await readSubjectKeys(db, config.keyEncryptionKey, [referralId]).catch((error: unknown) => {
        // No key store yet (a database from before crypto-shredding): no key, live or destroyed.
        if ((error as { code?: string }).code === '42P01') return new Map<string, SubjectKeyState>();
        throw error;
      })
    ).get(referralId) ?? { state: 'missing' };
    if (key.state === 'live') tally.add('keystore.referral_data_keys', 'live data key: every sealed copy of the subject opens with it');
    receipts = await erasureReceiptsOf(db, referralId).catch(() => []);
    scanned.push({ place: 'keystore.referral_data_keys', items: key.state === 'missing' ? 0 : 1 });

    for (const schema of [config.viewSchema, ...(await otherViewSchemas(db, config.viewSchema))]) {
      progress(`scanning view schema ${schema}`);
      scanned.push({ place: schema, items: await scanViewSchema(db, schema, referralId, key, tally) });
    }
    progress('scanning the adapters’ outboxes');
    await scanOutboxes(db, referralId, key, tally, (schema, rows) => scanned.push({ place: `${schema}.outbox`, items: rows }));
  } finally {
    await db.destroy();
  }

  const kafka = options.kafka ?? createKafka({ clientId: 'passerelle-projector-erasure-verify', ...kafkaAccessOf(config), retries: 2 });
  const admin = kafka.admin();
  await admin.connect();
  let topics: string[];
  try {
    const all = await admin.listTopics();
    topics = [
      ...(all.includes(config.deadLetterTopic) ? [config.deadLetterTopic] : []),
      ...all.filter((topic) => config.topicPattern.test(topic)).sort(),
    ];
  } finally {
    await admin.disconnect();
  }
  const serde = new EventSerde(new RegistryClient({ url: config.registryUrl }));
  for (const [index, topic] of topics.entries()) {
    progress(`scanning topic ${topic} (${index + 1} of ${topics.length})`);
    const messages = await readTopic(kafka, topic, { groupPrefix: 'passerelle-projector-erasure-verify', timeoutMs: 120_000 });
    let about = 0;
    const idBytes = Buffer.from(referralId);
    for (const message of messages) {
      // Events are keyed by their referral and dead letters keep the original key, but a producer
      // chooses its key: a message is about the referral when its key or its body names it (the
      // Avro body holds the referral id as text).
      if (!message.value || (message.key?.toString() !== referralId && !message.value.includes(idBytes))) continue;
      about++;
      let decoded;
      try {
        decoded = await serde.decode(message.value);
      } catch {
        // Bytes that do not decode cannot be judged here: said, not counted as erased.
        tally.add(topic, 'message about the referral that does not decode (cannot be checked)');
        continue;
      }
      if (decoded.type !== 'ReferralCreated' || decoded.payload.referralId !== referralId) continue;
      tally.addReadable(topic, readabilityOf(referralId, decoded.payload as unknown as Record<string, unknown>, key));
    }
    scanned.push({ place: topic, items: messages.length });
    progress(`  ${messages.length} messages read, ${about} about the referral`);
  }
  return { referralId, key: key.state, receipts, findings: tally.findings(), scanned };
}
