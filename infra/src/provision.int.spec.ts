import { beforeAll, describe, expect, inject, it } from 'vitest';
import kafkajs from 'kafkajs';
import { checkAll, RegistryClient } from '@passerelle/contracts';
import { adminConnectionOf } from './config.ts';
import { clientAccessOf } from './kafka-credentials.ts';
import { provisionEndpoints, type ProvisionResult } from './provision.ts';
import { checkTopics, DECLARED_CONFIGS, loadTopicDeclarations } from './topics.ts';

const stack = inject('stack');
const connection = adminConnectionOf(stack);
const declared = loadTopicDeclarations();
let result: ProvisionResult;
const logged: string[] = [];

// Provisions the real topics and subjects, as `npm start` and `npm test` do: idempotent by design.
beforeAll(async () => {
  result = await provisionEndpoints(stack, (m) => logged.push(m));
});

describe('provision on the real stack', () => {
  it('leaves every declared topic on the broker, matching its declaration', async () => {
    expect(result.topics.drift).toEqual([]);
    expect(await checkTopics(connection, declared)).toEqual([]);
  });

  it('creates topics whose partitions and configs the broker itself reports as declared', async () => {
    const admin = new kafkajs.Kafka({
      clientId: 'provision-int',
      ...clientAccessOf(connection),
      logLevel: kafkajs.logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const names = declared.map((t) => t.name);
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(names));
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: names.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: [...DECLARED_CONFIGS] })),
      });
      for (const topic of declared) {
        expect(topics.find((t) => t.name === topic.name)?.partitions).toHaveLength(topic.partitions);
        const entries = resources.find((r) => r.resourceName === topic.name)?.configEntries ?? [];
        expect(Object.fromEntries(entries.map((e) => [e.configName, e.configValue]))).toEqual(topic.config);
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('registers every event schema under FULL_TRANSITIVE, so that a check finds them unchanged', async () => {
    const client = new RegistryClient({ url: stack.registryUrl });
    expect(result.schemas).toHaveLength(6);
    for (const { subject } of result.schemas) expect(await client.compatibilityOf(subject)).toBe('FULL_TRANSITIVE');
    const reports = await checkAll(client);
    expect(reports.map((r) => [r.subject, r.status])).toEqual(result.schemas.map((s) => [s.subject, 'unchanged']));
  });

  it('can run again without creating or registering anything', async () => {
    const again = await provisionEndpoints(stack, () => {});
    expect(again.topics.created).toEqual([]);
    expect(again.topics.reconfigured).toEqual([]);
    expect(again.schemas.every((s) => s.outcome === 'unchanged')).toBe(true);
    expect(logged.some((m) => m.startsWith('topics: 16 declared'))).toBe(true);
  });
});
