import { describe, expect, it } from 'vitest';
import { principalOfCommand, projectorCliEnvironment, type LocalStack } from './projector-cli-environment.ts';

const stack: LocalStack = {
  home: '/repo/.passerelle',
  kafkaBrokers: ['127.0.0.1:9092'],
  registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
  kafkaCaFile: '/repo/.passerelle/kafka-tls/ca.pem',
  kafkaCredentials: {
    projector: { username: 'projector', password: 'projector-password' },
    admin: { username: 'admin', password: 'admin-password' },
  },
  secrets: { recordKeySecret: 'r'.repeat(43), keyEncryptionKey: 'k'.repeat(64) },
};

describe('the projector CLI’s environment on the local stack', () => {
  it('gives status and dead-letters list the projector’s own principal, with what npm start gives the projector', () => {
    for (const args of [['status'], ['dead-letters', 'list', '--limit', '5'], ['rebuild', '--expect-identical']]) {
      const { env, principal, missing } = projectorCliEnvironment(args, { PATH: '/bin' }, stack);

      expect(principal).toBe('projector');
      expect(missing).toEqual([]);
      expect(env).toEqual({
        PATH: '/bin',
        PASSERELLE_KAFKA_BROKERS: '127.0.0.1:9092',
        PASSERELLE_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
        PASSERELLE_RECORD_KEY_SECRET: 'r'.repeat(43),
        PASSERELLE_KEY_ENCRYPTION_KEY: 'k'.repeat(64),
        PASSERELLE_KAFKA_USERNAME: 'projector',
        PASSERELLE_KAFKA_PASSWORD: 'projector-password',
        PASSERELLE_KAFKA_CA_FILE: '/repo/.passerelle/kafka-tls/ca.pem',
      });
    }
  });

  it('gives the admin principal only to redrive, erasure verify and topics seal', () => {
    expect(principalOfCommand(['dead-letters', 'redrive', 'passerelle.dead-letter.v1:0:3'])).toBe('admin');
    expect(principalOfCommand(['erasure', 'verify', '3f2b8c1e-5d4a-4b6e-9c7d-1a2b3c4d5e6f', '--json'])).toBe('admin');
    expect(principalOfCommand(['topics', 'seal', '--confirm'])).toBe('admin');
    expect(principalOfCommand(['--json', 'status'])).toBe('projector');
    expect(principalOfCommand(['dead-letters', 'list'])).toBe('projector');

    const { env } = projectorCliEnvironment(['dead-letters', 'redrive', 'passerelle.dead-letter.v1:0:3'], {}, stack);
    expect(env['PASSERELLE_KAFKA_USERNAME']).toBe('admin');
    expect(env['PASSERELLE_KAFKA_PASSWORD']).toBe('admin-password');
  });

  it('keeps what the shell sets: its brokers, its CA and its principal, even half of one', () => {
    const { env, missing } = projectorCliEnvironment(
      ['status'],
      { PASSERELLE_KAFKA_BROKERS: 'kafka-1:9093', PASSERELLE_KAFKA_CA_FILE: '/etc/ca.pem', PASSERELLE_KAFKA_USERNAME: 'operator' },
      stack,
    );

    expect(missing).toEqual([]);
    expect(env['PASSERELLE_KAFKA_BROKERS']).toBe('kafka-1:9093');
    expect(env['PASSERELLE_KAFKA_CA_FILE']).toBe('/etc/ca.pem');
    expect(env['PASSERELLE_KAFKA_USERNAME']).toBe('operator');
    // The CLI itself names the missing half (both or neither).
    expect(env['PASSERELLE_KAFKA_PASSWORD']).toBeUndefined();
  });

  it('names each Kafka variable it cannot find, never a value, and asks none of rekey', () => {
    const bare: LocalStack = { home: '/tmp/empty', kafkaBrokers: ['127.0.0.1:9092'], registryUrl: stack.registryUrl };

    const { missing, env } = projectorCliEnvironment(['status'], {}, bare);
    expect(missing.map((m) => m.variable)).toEqual(['PASSERELLE_KAFKA_USERNAME', 'PASSERELLE_KAFKA_PASSWORD', 'PASSERELLE_KAFKA_CA_FILE']);
    expect(missing[0]?.reason).toContain('/tmp/empty/kafka-credentials.json');
    expect(env['PASSERELLE_RECORD_KEY_SECRET']).toBeUndefined();

    const withoutAdmin: LocalStack = { ...stack, kafkaCredentials: { projector: stack.kafkaCredentials?.['projector'] } };
    const redrive = projectorCliEnvironment(['dead-letters', 'redrive', 'x:0:0'], {}, withoutAdmin);
    expect(redrive.missing.map((m) => m.reason)).toEqual([
      expect.stringContaining('"admin" principal'),
      expect.stringContaining('"admin"'),
    ]);
    expect(JSON.stringify(redrive.missing)).not.toContain('projector-password');

    expect(projectorCliEnvironment(['rekey', '--confirm'], {}, bare).missing).toEqual([]);
  });

  it('never gives rekey the local record-key secret: the new one comes from the shell', () => {
    expect(projectorCliEnvironment(['rekey', '--confirm'], {}, stack).env['PASSERELLE_RECORD_KEY_SECRET']).toBeUndefined();
    expect(projectorCliEnvironment(['rekey', '--confirm'], { PASSERELLE_RECORD_KEY_SECRET: 'n'.repeat(43) }, stack).env).toMatchObject({
      PASSERELLE_RECORD_KEY_SECRET: 'n'.repeat(43),
    });
    expect(projectorCliEnvironment(['status'], {}, stack).env['PASSERELLE_RECORD_KEY_SECRET']).toBe('r'.repeat(43));
  });
});
