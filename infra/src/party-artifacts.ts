/**
 * The files that list the parties, generated from the party registry (schemas/parties.json) and
 * the non-party facts below: infra/topics/topics.json, infra/topics/acls.json and the marked
 * regions of docker-compose.yml. `npm run infra -- parties generate` writes them, `parties check`
 * names each file that differs. Every function takes the registry, so a test can add a party.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  DEAD_LETTER_TOPIC,
  PARTIES,
  partyTopicName,
  TOPIC_FAMILIES,
  type Party,
  type TopicFamily,
  type TopicOwner,
} from '@passerelle/contracts';
import { CLUSTER_RESOURCE, type AclOperation } from './acls.ts';
import { REPO_ROOT } from './config.ts';
import { StackError } from './errors.ts';
import type { DeclaredConfig } from './topics.ts';
import type { SERVICE_PRINCIPALS } from './kafka-credentials.ts';

interface TopicSettings {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<DeclaredConfig, string>>;
}

const local = (retentionMs: string): TopicSettings => ({
  partitions: 3,
  replicationFactor: 1,
  config: { 'cleanup.policy': 'delete', 'retention.ms': retentionMs, 'min.insync.replicas': '1' },
});

/** Local values per family; why each retention, and production's values: infra/topics/README.md. */
const FAMILY_SETTINGS: Readonly<Record<TopicFamily, TopicSettings>> = {
  referrals: local('220924800000'),
  'initiative-milestones': local('-1'),
  'service-gaps': local('-1'),
};
const DEAD_LETTER_OWNER: TopicOwner = 'COORDINATION_OFFICE';
const DEAD_LETTER_SETTINGS = local('2592000000');
/** The prefix of every consumer group the projector uses (the service, rebuilds, the CLI's readers). */
const PROJECTOR_GROUP_PREFIX = 'passerelle-projector';

const TOPICS_COMMENT =
  'Every Kafka topic of Passerelle, declared once. `npm run infra -- topics apply` creates them and converges their config; `topics check` reports drift. Values are for the single local broker; production uses replicationFactor 3 and min.insync.replicas 2 (see README.md). retention.ms: referrals 7 years (2557 days), initiative milestones and service gaps forever (-1), dead letters 30 days.';
const ACLS_COMMENT =
  "Kafka ACLs of Passerelle, declared once beside topics.json. `npm run infra -- acls apply` makes the broker's bindings exactly these (adds the missing, deletes the unexpected); `acls check` reports drift. Principals are SCRAM users (User:<name>); admin is a super user and needs no binding. Ministries write their own prefix only and read nothing; the projector reads every ministry prefix, writes (and, for `projector dead-letters list`, reads) the dead-letter topic, and uses the groups passerelle-projector* (the service, rebuilds, the CLI's readers), deleting the temporary ones it made. Nobody but admin may create, delete or alter topics. Redriving dead letters republishes to ministry topics, so it runs as admin.";

/** infra/topics/topics.json: each family's topic of each party, then the dead-letter topic. */
export function topicsDocument(parties: readonly Party[] = PARTIES): object {
  const topics = TOPIC_FAMILIES.flatMap((family) =>
    parties.map((party) => ({ name: partyTopicName(party, family), owner: party.id, family, ...FAMILY_SETTINGS[family] })),
  );
  return {
    $comment: TOPICS_COMMENT,
    topics: [...topics, { name: DEAD_LETTER_TOPIC, owner: DEAD_LETTER_OWNER, family: 'dead-letter', ...DEAD_LETTER_SETTINGS }],
  };
}

interface Grant {
  readonly resourceType: 'TOPIC' | 'GROUP' | 'CLUSTER';
  readonly patternType: 'LITERAL' | 'PREFIXED';
  readonly name: string;
  readonly operations: readonly AclOperation[];
}

const idempotentWrites: Grant = {
  resourceType: 'CLUSTER',
  patternType: 'LITERAL',
  name: CLUSTER_RESOURCE,
  operations: ['IDEMPOTENT_WRITE'],
};
const ownPrefix = (party: Party, operations: readonly AclOperation[]): Grant => ({
  resourceType: 'TOPIC',
  patternType: 'PREFIXED',
  name: `${party.topicPrefix}.`,
  operations,
});

/** infra/topics/acls.json: each party's principal writes its own prefix; the projector reads them all. */
export function aclsDocument(parties: readonly Party[] = PARTIES): object {
  return {
    $comment: ACLS_COMMENT,
    principals: [
      ...parties.map((party) => ({ principal: party.kafkaPrincipal, allow: [ownPrefix(party, ['WRITE', 'DESCRIBE']), idempotentWrites] })),
      {
        principal: 'projector' satisfies (typeof SERVICE_PRINCIPALS)[number],
        allow: [
          ...parties.map((party) => ownPrefix(party, ['READ', 'DESCRIBE'])),
          { resourceType: 'TOPIC', patternType: 'LITERAL', name: DEAD_LETTER_TOPIC, operations: ['WRITE', 'READ', 'DESCRIBE'] },
          { resourceType: 'GROUP', patternType: 'PREFIXED', name: PROJECTOR_GROUP_PREFIX, operations: ['READ', 'DELETE'] },
          idempotentWrites,
        ],
      },
    ],
  };
}

/** `CHILD_WELFARE` in compose's variable names: PASSERELLE_CHILD_WELFARE_TOKEN and the like. */
const variable = (party: Party, suffix: string): string => `\${PASSERELLE_${party.id}_${suffix}`;

/** The generated regions of docker-compose.yml, by the name their markers carry. */
function composeRegions(parties: readonly Party[]): Record<string, string[]> {
  return {
    'kafka-format passwords': parties.map(
      (party) => `${party.id}: ${variable(party, 'KAFKA_PASSWORD')}:?export the Kafka passwords first, see README}`,
    ),
    'kafka-format users': parties.map((party) => `pairs+=(${party.kafkaPrincipal}:${party.id})`),
    adapters: parties.flatMap((party, index) => [
      ...(index > 0 ? [''] : []),
      `${party.adapter.service}:`,
      '  <<: *app',
      `  working_dir: /app/services/${party.adapter.service}`,
      '  command: ["/app/node_modules/.bin/tsx", "src/main.ts"]',
      '  environment:',
      '    <<: [*otel, *stack-env]',
      `    PORT: "${party.adapter.port}"`,
      `    PASSERELLE_MINISTRY_TOKEN: ${variable(party, 'TOKEN')}:-}`,
      `    PASSERELLE_PSEUDONYM_KEY: ${variable(party, 'PSEUDONYM_KEY')}:-}`,
      '    PASSERELLE_KEY_ENCRYPTION_KEY: ${PASSERELLE_KEY_ENCRYPTION_KEY:-}',
      `    PASSERELLE_KAFKA_USERNAME: ${variable(party, 'KAFKA_USERNAME')}:-}`,
      `    PASSERELLE_KAFKA_PASSWORD: ${variable(party, 'KAFKA_PASSWORD')}:-}`,
    ]),
  };
}

const BEGIN = /^(\s*)# parties: begin (.+?) \(generated from schemas\/parties\.json by `npm run infra -- parties generate`\)$/;
const END = /^\s*# parties: end (.+)$/;

/** docker-compose.yml with its marked regions regenerated, each line indented like its begin marker. */
export function composeWithParties(composeYaml: string, parties: readonly Party[] = PARTIES): string {
  const regions = composeRegions(parties);
  const lines = composeYaml.split('\n');
  const out: string[] = [];
  const found = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    out.push(line);
    const begin = BEGIN.exec(line);
    if (!begin) continue;
    const [, indent = '', name = ''] = begin;
    const generated = regions[name];
    if (!generated)
      throw new StackError('INVALID_COMPOSE_REGION', `docker-compose.yml line ${i + 1}: no generated region is called "${name}"`);
    let end = i + 1;
    while (end < lines.length && END.exec(lines[end] ?? '')?.[1] !== name) end++;
    if (end === lines.length)
      throw new StackError('INVALID_COMPOSE_REGION', `docker-compose.yml line ${i + 1}: region "${name}" has no end marker`);
    out.push(...generated.map((text) => (text === '' ? '' : `${indent}${text}`)), lines[end] ?? '');
    found.add(name);
    i = end;
  }
  const missing = Object.keys(regions).filter((name) => !found.has(name));
  if (missing.length > 0)
    throw new StackError('INVALID_COMPOSE_REGION', `docker-compose.yml lacks the marked region(s) ${missing.join(', ')}`);
  return out.join('\n');
}

const json = (document: object): string => `${JSON.stringify(document, null, 2)}\n`;

/** The generated files, relative to the repository root, with the content the registry gives them. */
export function partyArtifacts(root: string = REPO_ROOT, parties: readonly Party[] = PARTIES): { file: string; content: string }[] {
  const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
  return [
    { file: 'infra/topics/topics.json', content: json(topicsDocument(parties)) },
    { file: 'infra/topics/acls.json', content: json(aclsDocument(parties)) },
    { file: 'docker-compose.yml', content: composeWithParties(compose, parties) },
  ];
}

/** One line per generated file that differs from what the registry gives: the file and its first differing line. */
export function partyArtifactDrift(root: string = REPO_ROOT, parties: readonly Party[] = PARTIES): string[] {
  return partyArtifacts(root, parties).flatMap(({ file, content }) => {
    const actual = fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), 'utf8') : undefined;
    if (actual === undefined) return [`${file}: missing`];
    if (actual === content) return [];
    const expected = content.split('\n');
    const found = actual.split('\n');
    const at = expected.findIndex((line, index) => line !== found[index]);
    const line = at === -1 ? expected.length : at;
    return [
      `${file} differs from what schemas/parties.json generates at line ${line + 1}: expected ${JSON.stringify(expected[line]?.trim() ?? '(end of file)')}, found ${JSON.stringify(found[line]?.trim() ?? '(end of file)')}`,
    ];
  });
}

/** Writes the generated files; returns those it changed. */
export function generatePartyArtifacts(root: string = REPO_ROOT, parties: readonly Party[] = PARTIES): string[] {
  const changed: string[] = [];
  for (const { file, content } of partyArtifacts(root, parties)) {
    const target = path.join(root, file);
    if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === content) continue;
    fs.writeFileSync(target, content);
    changed.push(file);
  }
  return changed;
}

/** `parties generate|check`: writes the generated files, or exits 1 naming each that differs. */
export function partiesCommand(
  sub: string | undefined,
  log: (message: string) => void,
  root: string = REPO_ROOT,
  parties: readonly Party[] = PARTIES,
): number {
  switch (sub) {
    case 'generate': {
      const changed = generatePartyArtifacts(root, parties);
      log(changed.length === 0 ? 'parties: every generated file is up to date' : `parties: wrote ${changed.join(', ')}`);
      return 0;
    }
    case 'check': {
      const drift = partyArtifactDrift(root, parties);
      for (const line of drift) log(`drift: ${line}`);
      log(
        drift.length === 0
          ? `parties: ${parties.length} parties; every generated file matches schemas/parties.json`
          : 'parties: run `npm run infra -- parties generate` (never edit the generated files by hand)',
      );
      return drift.length > 0 ? 1 : 0;
    }
    default:
      log('usage: npm run infra -- parties generate|check');
      return 2;
  }
}
