import { afterAll, describe, expect, inject, it } from 'vitest';
import kafkajs from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { adminConnectionOf } from './config.ts';
import { clientAccessOf } from './kafka-credentials.ts';
import { applyTopics, checkTopics, type TopicDeclaration } from './topics.ts';

const stack = inject('stack');
// Infra's admin operations connect as the admin principal.
const connection = adminConnectionOf(stack);
// infra cannot depend on @passerelle/testing (which depends on infra), so it makes its own unique names.
const prefix = `test-topics-${randomBytes(4).toString('hex')}`;
const declared: TopicDeclaration[] = ['referrals', 'service-gaps'].map((family) => ({
  name: `${prefix}.${family}`,
  owner: 'HEALTH',
  family: family as TopicDeclaration['family'],
  partitions: 3,
  replicationFactor: 1,
  config: { 'cleanup.policy': 'delete', 'retention.ms': '604800000', 'min.insync.replicas': '1' },
}));
const [first, second] = declared as [TopicDeclaration, TopicDeclaration];

const kafka = new kafkajs.Kafka({
  clientId: 'topics-int',
  ...clientAccessOf(connection),
  logLevel: kafkajs.logLevel.NOTHING,
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: declared.map((t) => t.name) });
  await admin.disconnect();
});

describe('topics on the real broker', () => {
  it('reports drift, then apply creates the missing topic, converges config and reports what it cannot fix', async () => {
    // The first topic exists beforehand with one partition and the wrong retention; the second does not exist.
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: first.name, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '1000' }] }],
    });
    await admin.disconnect();

    expect(await checkTopics(connection, declared)).toEqual([
      { topic: first.name, kind: 'partitions', expected: '3', actual: '1' },
      { topic: first.name, kind: 'config', expected: 'retention.ms=604800000', actual: 'retention.ms=1000' },
      { topic: second.name, kind: 'missing', expected: 'present', actual: 'absent' },
    ]);

    const result = await applyTopics(connection, declared);

    expect(result.created).toEqual([second.name]);
    expect(result.reconfigured).toEqual([first.name]);
    expect(result.drift).toEqual([{ topic: first.name, kind: 'partitions', expected: '3', actual: '1' }]);
    expect(await checkTopics(connection, [second])).toEqual([]);
  });

  it('is idempotent: applying again creates and changes nothing', async () => {
    const result = await applyTopics(connection, [second]);
    expect(result).toEqual({ created: [], reconfigured: [], drift: [] });
  });
});
