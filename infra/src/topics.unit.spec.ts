import { describe, expect, it } from 'vitest';
import { allMinistryTopics, DEAD_LETTER_TOPIC } from '@passerelle/contracts';
import {
  diffTopics,
  loadTopicDeclarations,
  parseTopicDeclarations,
  TopicDeclarationError,
  type ObservedTopic,
  type TopicDeclaration,
} from './topics.ts';

const declared = loadTopicDeclarations();
const SEVEN_YEARS_MS = String(2557 * 24 * 3600 * 1000);

function problemsOf(topics: unknown[]): readonly string[] {
  try {
    parseTopicDeclarations({ topics });
  } catch (error) {
    if (error instanceof TopicDeclarationError) return error.problems;
    throw error;
  }
  return [];
}

const asObserved = (topic: TopicDeclaration): ObservedTopic => ({
  partitions: topic.partitions,
  replicationFactor: topic.replicationFactor,
  config: { ...topic.config },
});

describe('the topic declaration (infra/topics/topics.json)', () => {
  it('declares each ministry’s three family topics and the dead-letter topic, with three partitions each', () => {
    expect(declared.map((t) => t.name).sort()).toEqual([...allMinistryTopics().map((t) => t.name), DEAD_LETTER_TOPIC].sort());
    for (const topic of declared) expect(topic.partitions, topic.name).toBe(3);
  });

  it('keeps referrals seven years, milestones and gaps forever, dead letters thirty days, all with delete cleanup', () => {
    const retention = (family: string) => new Set(declared.filter((t) => t.family === family).map((t) => t.config['retention.ms']));
    expect(retention('referrals')).toEqual(new Set([SEVEN_YEARS_MS]));
    expect(retention('initiative-milestones')).toEqual(new Set(['-1']));
    expect(retention('service-gaps')).toEqual(new Set(['-1']));
    expect(retention('dead-letter')).toEqual(new Set([String(30 * 24 * 3600 * 1000)]));
    expect(new Set(declared.map((t) => t.config['cleanup.policy']))).toEqual(new Set(['delete']));
  });

  it('fits the single local broker: replication factor 1 and min.insync.replicas 1', () => {
    for (const topic of declared) {
      expect(topic.replicationFactor).toBe(1);
      expect(topic.config['min.insync.replicas']).toBe('1');
    }
  });

  it('rejects a topic named against its owner and family, a duplicate, and an undeclared ministry topic', () => {
    const [first, ...others] = declared as [TopicDeclaration, ...TopicDeclaration[]];
    const problems = problemsOf([{ ...first, name: 'justice.referals.v1' }, ...others, others[0]]);
    expect(problems).toContainEqual('justice.referals.v1: a referrals topic of JUSTICE must be named justice.referrals.v1');
    expect(problems).toContainEqual(`${others[0]?.name}: declared more than once`);
    expect(problems).toContainEqual('justice.referrals.v1 is not declared: every ministry owns one topic per family');
  });

  it('rejects min.insync.replicas above the replication factor, which would refuse every write', () => {
    const [first, ...others] = declared as [TopicDeclaration, ...TopicDeclaration[]];
    const problems = problemsOf([{ ...first, config: { ...first.config, 'min.insync.replicas': '2' } }, ...others]);
    expect(problems).toEqual(['justice.referrals.v1: min.insync.replicas 2 exceeds replicationFactor 1']);
  });

  it('rejects an undeclared config key and a malformed retention', () => {
    const [first, ...others] = declared as [TopicDeclaration, ...TopicDeclaration[]];
    const problems = problemsOf([{ ...first, config: { ...first.config, 'retention.ms': '7d', 'segment.ms': '1' } }, ...others]);
    expect(problems).toEqual([
      'justice.referrals.v1: config "segment.ms" is not one of cleanup.policy, retention.ms, min.insync.replicas',
      'justice.referrals.v1: retention.ms must be -1 (forever) or a positive number of milliseconds',
    ]);
  });
});

describe('topic drift', () => {
  it('is empty when the broker matches the declaration', () => {
    expect(diffTopics(declared, new Map(declared.map((t) => [t.name, asObserved(t)])))).toEqual([]);
  });

  it('names a missing topic, a partition count and a config value that differ', () => {
    const observed = new Map(declared.map((t) => [t.name, asObserved(t)]));
    observed.delete('health.service-gaps.v1');
    observed.set('justice.referrals.v1', {
      partitions: 1,
      replicationFactor: 1,
      config: { 'cleanup.policy': 'compact', 'retention.ms': SEVEN_YEARS_MS, 'min.insync.replicas': '1' },
    });

    expect(diffTopics(declared, observed)).toEqual([
      { topic: 'justice.referrals.v1', kind: 'partitions', expected: '3', actual: '1' },
      { topic: 'justice.referrals.v1', kind: 'config', expected: 'cleanup.policy=delete', actual: 'cleanup.policy=compact' },
      { topic: 'health.service-gaps.v1', kind: 'missing', expected: 'present', actual: 'absent' },
    ]);
  });
});
