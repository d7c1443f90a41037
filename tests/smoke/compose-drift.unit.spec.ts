import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  REPO_ROOT,
  composeDrift,
  generatePartyArtifacts,
  loadStackConfig,
  partiesCommand,
  partyArtifactDrift,
  partyArtifacts,
} from '@passerelle/infra';

const composeYaml = fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
const defaults = loadStackConfig({});

describe('docker-compose.yml', () => {
  it('runs the same versions, host ports and settings as the local stack', () => {
    expect(composeDrift(composeYaml, defaults)).toEqual([]);
  });

  // Each case: the edits made to a copy of docker-compose.yml, and the drift they must be reported as.
  const driftCases: ReadonlyArray<{ what: string; edits: ReadonlyArray<readonly [string, string]>; drift: readonly string[] }> = [
    {
      what: 'a broker setting differs',
      edits: [['KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false"', 'KAFKA_AUTO_CREATE_TOPICS_ENABLE: "true"']],
      drift: ['kafka setting auto.create.topics.enable: compose has "true", the local stack "false"'],
    },
    {
      what: 'an image version or a host port differs',
      edits: [
        ['apicurio/apicurio-registry:3.3.3', 'apicurio/apicurio-registry:3.0.9'],
        ['"127.0.0.1:9411:9411"', '"127.0.0.1:9412:9411"'],
      ],
      drift: [
        'registry image version: compose has "3.0.9", the local stack "3.3.3"',
        'zipkin host port: compose has 9412, the local stack 9411',
      ],
    },
    {
      what: 'the broker would accept clients without SASL, without TLS or without the authorizer',
      edits: [
        ['HOST:SASL_SSL,INTERNAL:SASL_SSL', 'HOST:PLAINTEXT,INTERNAL:SASL_PLAINTEXT'],
        ['KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: "false"', 'KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: "true"'],
      ],
      drift: [
        'kafka setting allow.everyone.if.no.acl.found: compose has "true", the local stack "false"',
        'kafka listener HOST: compose has PLAINTEXT, the local stack requires SASL_SSL',
        'kafka listener INTERNAL: compose has SASL_PLAINTEXT, the local stack requires SASL_SSL',
      ],
    },
    {
      what: "Keycloak's version, database or cache differs from the local stack's",
      edits: [
        ['quay.io/keycloak/keycloak:26.5.6', 'quay.io/keycloak/keycloak:26.0.0'],
        ['postgres:5432/passerelle_keycloak', 'postgres:5432/keycloak'],
        ['KC_CACHE: local', 'KC_CACHE: ispn'],
      ],
      drift: [
        'keycloak image version: compose has "26.0.0", the local stack "26.5.6"',
        'keycloak KC_CACHE: compose has "ispn", the local stack "local"',
        'keycloak database: compose has "keycloak", the local stack "passerelle_keycloak"',
      ],
    },
    {
      what: 'compose sets a broker setting the local stack lacks',
      edits: [['KAFKA_NUM_PARTITIONS: "3"', 'KAFKA_NUM_PARTITIONS: "3"\n      KAFKA_LOG_RETENTION_HOURS: "1"']],
      drift: ['kafka setting KAFKA_LOG_RETENTION_HOURS: set in compose, absent from the local stack'],
    },
  ];

  it.each(driftCases)('is reported as drifted when $what', ({ edits, drift }) => {
    const drifted = edits.reduce((yaml, [from, to]) => {
      expect(yaml, `the edit of "${from}" applies`).toContain(from);
      return yaml.replace(from, to);
    }, composeYaml);

    expect(composeDrift(drifted, defaults)).toEqual(drift);
  });

  it('is reported as drifted when a service lacks a secret npm start passes it, or holds one written out', () => {
    const drifted = composeYaml
      .replace('      PASSERELLE_RECORD_KEY_SECRET: ${PASSERELLE_RECORD_KEY_SECRET:-}\n', '')
      .replace('      PASSERELLE_AUDIT_HMAC_KEY: ${PASSERELLE_AUDIT_HMAC_KEY:-}\n', '')
      .replace('PASSERELLE_JWT_SECRET: ${PASSERELLE_JWT_SECRET:-}', 'PASSERELLE_JWT_SECRET: written-out-secret-0123456789abcdef0123');

    expect(composeDrift(drifted, defaults)).toEqual([
      'projector PASSERELLE_RECORD_KEY_SECRET: missing from compose, npm start passes it',
      'view-api PASSERELLE_JWT_SECRET: compose writes a value, it must come from the shell or .env (${…})',
      'view-api PASSERELLE_AUDIT_HMAC_KEY: missing from compose, npm start passes it',
    ]);
  });

  it('is reported as drifted when an adapter, the projector or the view API lacks the key-encryption key, or holds one written out', () => {
    const line = '      PASSERELLE_KEY_ENCRYPTION_KEY: ${PASSERELLE_KEY_ENCRYPTION_KEY:-}\n';
    // The first occurrence is adapter-justice's; the projector's follows its record-key secret.
    const drifted = composeYaml
      .replace(line, '')
      .replace(
        `      PASSERELLE_RECORD_KEY_SECRET: \${PASSERELLE_RECORD_KEY_SECRET:-}\n${line}`,
        '      PASSERELLE_RECORD_KEY_SECRET: ${PASSERELLE_RECORD_KEY_SECRET:-}\n',
      )
      .replace(
        `      PASSERELLE_AUDIT_HMAC_KEY: \${PASSERELLE_AUDIT_HMAC_KEY:-}\n${line}`,
        `      PASSERELLE_AUDIT_HMAC_KEY: \${PASSERELLE_AUDIT_HMAC_KEY:-}\n      PASSERELLE_KEY_ENCRYPTION_KEY: ${'7e57'.repeat(16)}\n`,
      );

    expect(composeDrift(drifted, defaults)).toEqual([
      'adapter-justice PASSERELLE_KEY_ENCRYPTION_KEY: missing from compose, npm start passes it',
      'projector PASSERELLE_KEY_ENCRYPTION_KEY: missing from compose, npm start passes it',
      'view-api PASSERELLE_KEY_ENCRYPTION_KEY: compose writes a value, it must come from the shell or .env (${…})',
    ]);
  });

  it('is reported as drifted when a service does not export its traces to Zipkin', () => {
    const drifted = composeYaml.replace('OTEL_TRACES_EXPORTER: zipkin', 'OTEL_TRACES_EXPORTER: none');

    expect(composeDrift(drifted, defaults)).toContain('view-api OTEL_TRACES_EXPORTER: compose has "none", npm start "zipkin"');
  });
});

describe('the files generated from the party registry (topics.json, acls.json, docker-compose.yml)', () => {
  it('are what schemas/parties.json generates', () => {
    expect(partyArtifactDrift()).toEqual([]);
  });

  it('are reported as drifted, naming acls.json, when someone edits an ACL by hand, and agree again once regenerated', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-parties-'));
    try {
      for (const { file } of partyArtifacts()) {
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.copyFileSync(path.join(REPO_ROOT, file), path.join(root, file));
      }
      const aclsFile = path.join(root, 'infra', 'topics', 'acls.json');
      // Justice may now also read its own topics: a grant the registry does not give.
      fs.writeFileSync(
        aclsFile,
        fs
          .readFileSync(aclsFile, 'utf8')
          .replace('"WRITE",\n            "DESCRIBE"', '"WRITE",\n            "READ",\n            "DESCRIBE"'),
      );
      const logged: string[] = [];

      expect(partyArtifactDrift(root)).toEqual([
        'infra/topics/acls.json differs from what schemas/parties.json generates at line 13: expected "\\"DESCRIBE\\"", found "\\"READ\\","',
      ]);
      expect(partiesCommand('check', (line) => logged.push(line), root)).toBe(1);
      expect(logged[0]).toMatch(/^drift: infra\/topics\/acls\.json differs/);

      expect(generatePartyArtifacts(root)).toEqual(['infra/topics/acls.json']);
      expect(partyArtifactDrift(root)).toEqual([]);
      expect(partiesCommand('check', () => undefined, root)).toBe(0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
