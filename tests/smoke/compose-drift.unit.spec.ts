import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, composeDrift, loadStackConfig } from '@passerelle/infra';

const composeYaml = fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
const defaults = loadStackConfig({});

describe('docker-compose.yml', () => {
  it('runs the same versions, host ports and settings as the local stack', () => {
    expect(composeDrift(composeYaml, defaults)).toEqual([]);
  });

  it('is reported as drifted when a broker setting differs', () => {
    const drifted = composeYaml.replace('KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false"', 'KAFKA_AUTO_CREATE_TOPICS_ENABLE: "true"');

    expect(composeDrift(drifted, defaults)).toEqual([
      'kafka setting auto.create.topics.enable: compose has "true", the local stack "false"',
    ]);
  });

  it('is reported as drifted when an image version or a host port differs', () => {
    const drifted = composeYaml.replace('apicurio/apicurio-registry:3.3.3', 'apicurio/apicurio-registry:3.0.9').replace('"127.0.0.1:9411:9411"', '"127.0.0.1:9412:9411"');

    expect(composeDrift(drifted, defaults)).toEqual([
      'registry image version: compose has "3.0.9", the local stack "3.3.3"',
      'zipkin host port: compose has 9412, the local stack 9411',
    ]);
  });

  it('is reported as drifted when the broker would accept clients without SASL or without the authorizer', () => {
    const drifted = composeYaml
      .replace('HOST:SASL_PLAINTEXT,INTERNAL:SASL_PLAINTEXT', 'HOST:PLAINTEXT,INTERNAL:SASL_PLAINTEXT')
      .replace('KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: "false"', 'KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: "true"');

    expect(composeDrift(drifted, defaults)).toEqual([
      'kafka setting allow.everyone.if.no.acl.found: compose has "true", the local stack "false"',
      'kafka listener HOST: compose has PLAINTEXT, the local stack requires SASL (SASL_PLAINTEXT or SASL_SSL)',
    ]);
  });

  it('is reported as drifted when compose sets a broker setting the local stack lacks', () => {
    const drifted = composeYaml.replace('KAFKA_NUM_PARTITIONS: "3"', 'KAFKA_NUM_PARTITIONS: "3"\n      KAFKA_LOG_RETENTION_HOURS: "1"');

    expect(composeDrift(drifted, defaults)).toEqual(['kafka setting KAFKA_LOG_RETENTION_HOURS: set in compose, absent from the local stack']);
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

  it('is reported as drifted when a service does not export its traces to Zipkin', () => {
    const drifted = composeYaml.replace('OTEL_TRACES_EXPORTER: zipkin', 'OTEL_TRACES_EXPORTER: none');

    expect(composeDrift(drifted, defaults)).toContain('view-api OTEL_TRACES_EXPORTER: compose has "none", npm start "zipkin"');
  });
});
