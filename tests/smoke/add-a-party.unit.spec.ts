import { describe, expect, it, onTestFinished } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { allMinistryTopics, enumDrift, PARTIES, parseTopicName, type Party } from '@passerelle/contracts';
import { partiesWith } from '@passerelle/contracts/testing';
import { ADAPTER_SCHEMAS } from '@passerelle/db';
import {
  REPO_ROOT,
  aclsDocument,
  composeDrift,
  composeWithParties,
  ensureCredentials,
  kafkaPrincipals,
  loadStackConfig,
  parseAclDeclarations,
  parseTopicDeclarations,
  topicsDocument,
} from '@passerelle/infra';
import { adapterNames, databaseRoleKeys, loadDevSecrets } from '../../scripts/dev-secrets.ts';
import { databaseLayout, databaseRoleOf, kafkaPrincipalOf, partyOfService, servicePorts } from '../../scripts/services.ts';
import { adapterModulesDrift } from '../adapters/adapter-harness.ts';

// The committed registry with Community and Social Services appended, as an engineer would add it.
const parties: readonly Party[] = partiesWith('community-social-services.json');
const CSS = 'COMMUNITY_SOCIAL_SERVICES';
const composeYaml = fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');

/** A data folder of its own for one test, removed when the test ends. */
function newHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-add-a-party-'));
  onTestFinished(() => fs.rmSync(home, { recursive: true, force: true }));
  return home;
}

describe('a party added to the registry', () => {
  it('gets a topic per family, named by its prefix, that parses back to it', () => {
    const topics = allMinistryTopics(parties).filter((topic) => topic.owner === CSS);

    expect(topics.map((topic) => topic.name)).toEqual([
      'community-social-services.referrals.v1',
      'community-social-services.initiative-milestones.v1',
      'community-social-services.service-gaps.v1',
    ]);
    expect(parseTopicName('community-social-services.referrals.v1', parties)).toEqual({ owner: CSS, family: 'referrals' });
  });

  it('is declared in the generated topics.json, which still validates', () => {
    const declared = parseTopicDeclarations(topicsDocument(parties), parties);

    expect(declared).toHaveLength(19);
    expect(declared.filter((topic) => topic.owner === CSS).map((topic) => [topic.family, topic.config['retention.ms']])).toEqual([
      ['referrals', '220924800000'],
      ['initiative-milestones', '-1'],
      ['service-gaps', '-1'],
    ]);
  });

  it('may write its own prefix only, and the projector may read it, in the generated acls.json', () => {
    const bindings = parseAclDeclarations(aclsDocument(parties), parties).map(
      (b) => `${b.principal} ${b.operation} ${b.resourceType} ${b.patternType} ${b.resourceName}`,
    );

    expect(bindings).toHaveLength(31 + 5);
    expect(bindings.filter((b) => b.includes('community-social-services'))).toEqual([
      'User:community-social-services WRITE TOPIC PREFIXED community-social-services.',
      'User:community-social-services DESCRIBE TOPIC PREFIXED community-social-services.',
      'User:community-social-services IDEMPOTENT_WRITE CLUSTER LITERAL kafka-cluster',
      'User:projector READ TOPIC PREFIXED community-social-services.',
      'User:projector DESCRIBE TOPIC PREFIXED community-social-services.',
    ]);
  });

  it('gets a Kafka principal and a password, the existing principals keeping theirs', () => {
    const home = newHome();
    const before = ensureCredentials({ home }).credentials;

    const after = ensureCredentials({ home }, kafkaPrincipals(parties));

    expect(kafkaPrincipals(parties)).toEqual([
      'justice',
      'child-welfare',
      'health',
      'education',
      'coordination-office',
      'community-social-services',
      'projector',
      'admin',
    ]);
    expect(after.created).toBe(false);
    expect(after.credentials['community-social-services']?.username).toBe('community-social-services');
    expect(after.credentials['justice']).toEqual(before['justice']);
  });

  it('is started by npm start on its own port, as its own principal', () => {
    expect(servicePorts(parties)['adapter-community-social-services']).toBe(8106);
    expect(kafkaPrincipalOf('adapter-community-social-services', parties)).toBe('community-social-services');
    expect(partyOfService('adapter-community-social-services', parties)?.displayName).toEqual({
      en: 'Community and Social Services',
      fr: 'Services sociaux et communautaires',
    });
  });

  it('gets a token, a pseudonym key and a database role password in the dev secrets, the others keeping theirs', () => {
    const home = newHome();
    const before = loadDevSecrets(home);

    const after = loadDevSecrets(home, parties);

    expect(adapterNames(parties)).toContain('community-social-services');
    expect(after.tokens['community-social-services']).toHaveLength(43);
    expect(after.pseudonymKeys['community-social-services']).toHaveLength(43);
    expect(after.databasePasswords['adapter_community_social_services']).toHaveLength(43);
    expect(after.tokens['justice']).toBe(before.tokens['justice']);
    expect(after.pseudonymKeys['justice']).toBe(before.pseudonymKeys['justice']);
    expect(databaseRoleKeys(parties)).toContain('adapter_community_social_services');
  });

  it('gets a database role of its own schema', () => {
    expect(databaseRoleOf('adapter-community-social-services', parties)).toBe('adapter_community_social_services');
    expect(databaseRoleOf('view-api', parties)).toBe('view_api');
    expect(databaseLayout(parties).find((role) => role.service === 'adapter_community_social_services')?.schemas).toEqual({
      adapter_community_social_services: 'read-write',
      keystore: 'append',
    });
  });

  it('gets a compose service, a SCRAM user and a password variable in the generated docker-compose.yml, which matches the local stack', () => {
    const generated = composeWithParties(composeYaml, parties);
    const compose = parse(generated, { merge: true }) as {
      services: Record<string, { environment: Record<string, string>; command?: string[] }>;
    };

    expect(compose.services['adapter-community-social-services']?.environment).toMatchObject({
      PORT: '8106',
      PASSERELLE_MINISTRY_TOKEN: '${PASSERELLE_COMMUNITY_SOCIAL_SERVICES_TOKEN:-}',
      PASSERELLE_KAFKA_USERNAME: '${PASSERELLE_COMMUNITY_SOCIAL_SERVICES_KAFKA_USERNAME:-}',
    });
    expect(compose.services['kafka-format']?.environment[CSS]).toBe(
      '${PASSERELLE_COMMUNITY_SOCIAL_SERVICES_KAFKA_PASSWORD:?export the Kafka passwords first, see README}',
    );
    expect(generated).toContain('pairs+=(community-social-services:COMMUNITY_SOCIAL_SERVICES)');
    expect(composeDrift(generated, loadStackConfig({}))).toEqual([]);
  });

  it('is missing from the test harness until its adapter module is added there, and from the enum until its symbol is', () => {
    expect(adapterModulesDrift(parties)).toEqual([
      'adapter community-social-services: in the party registry, no module in tests/adapters/adapter-harness.ts',
    ]);
    expect(enumDrift(parties)).toEqual([`${CSS}: in the registry, not a symbol of the Ministry enum (schemas/avro/ministry.avsc)`]);
  });
});

describe('the committed registry', () => {
  it('names exactly the adapters of the test harness and the database roles of libs/db', () => {
    expect(adapterModulesDrift()).toEqual([]);
    expect([...ADAPTER_SCHEMAS]).toEqual(PARTIES.map((party) => party.adapter.databaseSchema));
  });

  it('names each adapter’s package, and each adapter starts its telemetry under the registry’s service name and ministry', () => {
    for (const { id, adapter } of PARTIES) {
      const folder = path.join(REPO_ROOT, 'services', adapter.service);
      expect((JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as { name: string }).name).toBe(adapter.package);
      // main.ts runs before any module of the service loads (telemetry first), so it names them itself.
      expect(fs.readFileSync(path.join(folder, 'src', 'main.ts'), 'utf8')).toContain(`service: '${adapter.service}', ministry: '${id}'`);
    }
  });
});
