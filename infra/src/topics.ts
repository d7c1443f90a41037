import fs from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { DEAD_LETTER_TOPIC, PARTIES, partyTopicName, TOPIC_FAMILIES, type Party, type TopicFamily } from '@passerelle/contracts';
import { REPO_ROOT } from './config.ts';
import { StackError } from './errors.ts';
import { clientAccessOf, type KafkaConnection } from './kafka-credentials.ts';

export const TOPICS_FILE = path.join(REPO_ROOT, 'infra', 'topics', 'topics.json');

/** The configs every topic declares; `topics check` compares exactly these with the broker. */
export const DECLARED_CONFIGS = ['cleanup.policy', 'retention.ms', 'min.insync.replicas'] as const;
export type DeclaredConfig = (typeof DECLARED_CONFIGS)[number];

export interface TopicDeclaration {
  readonly name: string;
  /** A party's id (the Ministry symbol) of the registry the declaration was checked against. */
  readonly owner: string;
  readonly family: TopicFamily | 'dead-letter';
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<DeclaredConfig, string>>;
}

/** How a topic on the broker differs from its declaration. */
export interface TopicDrift {
  readonly topic: string;
  readonly kind: 'missing' | 'partitions' | 'replication-factor' | 'config';
  readonly expected: string;
  readonly actual: string;
}

/** A topic as the broker has it. */
export interface ObservedTopic {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

export class TopicDeclarationError extends StackError {
  constructor(readonly problems: readonly string[]) {
    super(
      'INVALID_TOPIC_DECLARATION',
      `invalid topic declaration:\n  - ${problems.join('\n  - ')}`,
      `fix ${path.relative(REPO_ROOT, TOPICS_FILE)}`,
    );
    this.name = 'TopicDeclarationError';
  }
}

export class TopicDriftError extends StackError {
  constructor(readonly drift: readonly TopicDrift[]) {
    super(
      'TOPIC_DRIFT',
      `topics differ from ${path.relative(REPO_ROOT, TOPICS_FILE)}:\n  - ${drift.map(describeDrift).join('\n  - ')}`,
      'partition counts and replication factors are never changed automatically (more partitions would move keys to other partitions): change them deliberately, or fix the declaration',
    );
    this.name = 'TopicDriftError';
  }
}

export function describeDrift(drift: TopicDrift): string {
  if (drift.kind === 'missing') return `${drift.topic}: missing on the broker`;
  return `${drift.topic}: ${drift.kind} is ${drift.actual}, declared ${drift.expected}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Validates the declaration: names follow `<ministry>.<family>.v1` for their owner and family
 * (the dead-letter topic is the one exception), every ministry has every family, numbers are
 * sane, and min.insync.replicas never exceeds the replication factor (writes would all fail).
 */
export function parseTopicDeclarations(value: unknown, parties: readonly Party[] = PARTIES): TopicDeclaration[] {
  const problems: string[] = [];
  if (!isObject(value) || !Array.isArray(value['topics']))
    throw new TopicDeclarationError(['the file must be an object with a "topics" array']);
  const owners = parties.map((party) => party.id);
  const topicOf = (owner: string, family: TopicFamily): string =>
    partyTopicName(parties.find((party) => party.id === owner) ?? { topicPrefix: '?' }, family);
  const seen = new Set<string>();
  const declarations: TopicDeclaration[] = [];
  for (const [i, topic] of (value['topics'] as unknown[]).entries()) {
    const where = isObject(topic) && typeof topic['name'] === 'string' ? topic['name'] : `topics[${i}]`;
    if (!isObject(topic)) {
      problems.push(`${where} must be an object`);
      continue;
    }
    const keys = ['name', 'owner', 'family', 'partitions', 'replicationFactor', 'config'];
    for (const key of Object.keys(topic)) if (!keys.includes(key)) problems.push(`${where}: unknown key "${key}"`);
    const { name, owner, family, partitions, replicationFactor, config } = topic;
    if (typeof name !== 'string') problems.push(`${where}: name must be a string`);
    else if (seen.has(name)) problems.push(`${where}: declared more than once`);
    else seen.add(name);
    if (typeof owner !== 'string' || !owners.includes(owner)) problems.push(`${where}: owner must be one of ${owners.join(', ')}`);
    if (family === 'dead-letter') {
      if (name !== DEAD_LETTER_TOPIC) problems.push(`${where}: the dead-letter family has one topic, ${DEAD_LETTER_TOPIC}`);
    } else if (typeof family !== 'string' || !(TOPIC_FAMILIES as readonly string[]).includes(family)) {
      problems.push(`${where}: family must be one of ${TOPIC_FAMILIES.join(', ')}, dead-letter`);
    } else if (owners.includes(owner as string) && name !== topicOf(owner as string, family as TopicFamily)) {
      problems.push(`${where}: a ${family} topic of ${String(owner)} must be named ${topicOf(owner as string, family as TopicFamily)}`);
    }
    if (!Number.isInteger(partitions) || (partitions as number) < 1) problems.push(`${where}: partitions must be a whole number ≥ 1`);
    if (!Number.isInteger(replicationFactor) || (replicationFactor as number) < 1)
      problems.push(`${where}: replicationFactor must be a whole number ≥ 1`);
    if (!isObject(config)) {
      problems.push(`${where}: config must be an object`);
      continue;
    }
    for (const key of Object.keys(config))
      if (!(DECLARED_CONFIGS as readonly string[]).includes(key))
        problems.push(`${where}: config "${key}" is not one of ${DECLARED_CONFIGS.join(', ')}`);
    for (const key of DECLARED_CONFIGS) if (typeof config[key] !== 'string') problems.push(`${where}: config "${key}" must be a string`);
    if (!['delete', 'compact', 'compact,delete'].includes(String(config['cleanup.policy'])))
      problems.push(`${where}: cleanup.policy must be delete, compact or compact,delete`);
    if (!/^(-1|[1-9][0-9]*)$/.test(String(config['retention.ms'])))
      problems.push(`${where}: retention.ms must be -1 (forever) or a positive number of milliseconds`);
    const minIsr = Number(config['min.insync.replicas']);
    if (!Number.isInteger(minIsr) || minIsr < 1) problems.push(`${where}: min.insync.replicas must be a whole number ≥ 1`);
    else if (Number.isInteger(replicationFactor) && minIsr > (replicationFactor as number))
      problems.push(`${where}: min.insync.replicas ${minIsr} exceeds replicationFactor ${String(replicationFactor)}`);
    declarations.push(topic as unknown as TopicDeclaration);
  }
  for (const owner of owners) {
    for (const family of TOPIC_FAMILIES) {
      const name = topicOf(owner, family);
      if (!seen.has(name)) problems.push(`${name} is not declared: every ministry owns one topic per family`);
    }
  }
  if (!seen.has(DEAD_LETTER_TOPIC)) problems.push(`${DEAD_LETTER_TOPIC} is not declared`);
  if (problems.length > 0) throw new TopicDeclarationError(problems);
  return declarations;
}

export function loadTopicDeclarations(file: string = TOPICS_FILE, parties: readonly Party[] = PARTIES): TopicDeclaration[] {
  return parseTopicDeclarations(JSON.parse(fs.readFileSync(file, 'utf8')), parties);
}

/** Every difference between the declaration and what the broker has. Pure. */
export function diffTopics(declared: readonly TopicDeclaration[], observed: ReadonlyMap<string, ObservedTopic>): TopicDrift[] {
  const drift: TopicDrift[] = [];
  for (const topic of declared) {
    const actual = observed.get(topic.name);
    if (!actual) {
      drift.push({ topic: topic.name, kind: 'missing', expected: 'present', actual: 'absent' });
      continue;
    }
    if (actual.partitions !== topic.partitions)
      drift.push({ topic: topic.name, kind: 'partitions', expected: String(topic.partitions), actual: String(actual.partitions) });
    if (actual.replicationFactor !== topic.replicationFactor) {
      drift.push({
        topic: topic.name,
        kind: 'replication-factor',
        expected: String(topic.replicationFactor),
        actual: String(actual.replicationFactor),
      });
    }
    for (const key of DECLARED_CONFIGS) {
      if (actual.config[key] !== topic.config[key])
        drift.push({
          topic: topic.name,
          kind: 'config',
          expected: `${key}=${topic.config[key]}`,
          actual: `${key}=${actual.config[key] ?? '(unset)'}`,
        });
    }
  }
  return drift;
}

type Admin = ReturnType<kafkajs.Kafka['admin']>;

/** An admin client as the connection's principal (infra connects as admin), used then closed. */
export async function withAdmin<T>(
  connection: KafkaConnection,
  use: (admin: Admin) => Promise<T>,
  clientId = 'passerelle-infra-topics',
): Promise<T> {
  const kafka = new kafkajs.Kafka({
    clientId,
    ...clientAccessOf(connection),
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 3 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Partitions, replication factor and declared configs of those of `names` that exist. */
async function observe(admin: Admin, names: readonly string[]): Promise<Map<string, ObservedTopic>> {
  const existing = new Set(await admin.listTopics());
  const present = names.filter((name) => existing.has(name));
  const observed = new Map<string, ObservedTopic>();
  if (present.length === 0) return observed;
  const { topics } = await admin.fetchTopicMetadata({ topics: present });
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: [...DECLARED_CONFIGS] })),
  });
  for (const topic of topics) {
    const resource = resources.find((r) => r.resourceName === topic.name);
    const config = Object.fromEntries((resource?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]));
    observed.set(topic.name, {
      partitions: topic.partitions.length,
      replicationFactor: Math.max(0, ...topic.partitions.map((p) => p.replicas.length)),
      config,
    });
  }
  return observed;
}

/** Drift between the declaration and the broker; empty when they match. */
export async function checkTopics(
  connection: KafkaConnection,
  declared: readonly TopicDeclaration[] = loadTopicDeclarations(),
): Promise<TopicDrift[]> {
  return withAdmin(connection, async (admin) =>
    diffTopics(
      declared,
      await observe(
        admin,
        declared.map((t) => t.name),
      ),
    ),
  );
}

export interface ApplyResult {
  readonly created: readonly string[];
  readonly reconfigured: readonly string[];
  /** What apply does not change by itself (partitions, replication factor). */
  readonly drift: readonly TopicDrift[];
}

/**
 * Creates missing topics and sets declared configs on existing ones. Idempotent. Partition
 * counts and replication factors are only reported: raising partitions moves keys to other
 * partitions and breaks per-key order, so that stays a deliberate operation.
 */
export async function applyTopics(
  connection: KafkaConnection,
  declared: readonly TopicDeclaration[] = loadTopicDeclarations(),
  log: (message: string) => void = () => {},
): Promise<ApplyResult> {
  return withAdmin(connection, async (admin) => {
    const before = diffTopics(
      declared,
      await observe(
        admin,
        declared.map((t) => t.name),
      ),
    );
    const missing = new Set(before.filter((d) => d.kind === 'missing').map((d) => d.topic));
    const toCreate = declared.filter((t) => missing.has(t.name));
    if (toCreate.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: toCreate.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: DECLARED_CONFIGS.map((name) => ({ name, value: t.config[name] })),
        })),
      });
      for (const t of toCreate) log(`created ${t.name} (${t.partitions} partitions, retention.ms ${t.config['retention.ms']})`);
    }
    const misconfigured = [...new Set(before.filter((d) => d.kind === 'config').map((d) => d.topic))];
    if (misconfigured.length > 0) {
      // AlterConfigs replaces a topic's dynamic configs as a whole; the declaration lists them all.
      await admin.alterConfigs({
        validateOnly: false,
        resources: declared
          .filter((t) => misconfigured.includes(t.name))
          .map((t) => ({
            type: kafkajs.ConfigResourceTypes.TOPIC,
            name: t.name,
            configEntries: DECLARED_CONFIGS.map((name) => ({ name, value: t.config[name] })),
          })),
      });
      for (const name of misconfigured) log(`reconfigured ${name} to match the declaration`);
    }
    const after = diffTopics(
      declared,
      await observe(
        admin,
        declared.map((t) => t.name),
      ),
    );
    return { created: toCreate.map((t) => t.name), reconfigured: misconfigured, drift: after };
  });
}
