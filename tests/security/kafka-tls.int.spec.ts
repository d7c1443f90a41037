import { readFileSync } from 'node:fs';
import { connect, rootCertificates, type PeerCertificate } from 'node:tls';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, type KafkaTls } from '@passerelle/kafka';
import { kafkaOptionsFor } from '@passerelle/testing';

/**
 * TLS on the broker's client listener (SASL_SSL), against the real broker: its certificate is
 * signed by the stack's own CA (`.passerelle/kafka-tls/ca.pem`, PASSERELLE_KAFKA_CA_FILE), and a
 * client that does not verify it against that CA, or that speaks plaintext, never gets in.
 */
const stack = inject('stack');

/** Every error code, name and message along an error's causes (kafkajs wraps socket errors). */
function failureText(error: unknown): string {
  const parts: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (!value || typeof value !== 'object' || depth > 6) return;
    const record = value as Record<string, unknown>;
    for (const key of ['code', 'type', 'name', 'message']) if (typeof record[key] === 'string') parts.push(record[key]);
    for (const key of ['cause', 'originalError', 'retriedError']) visit(record[key], depth + 1);
  };
  visit(error, 0);
  return parts.join(' | ');
}

/** Connects an admin client as admin (valid credentials) with the given TLS options; resolves with the failure, or undefined. */
async function adminFailure(ssl: KafkaTls | undefined): Promise<string | undefined> {
  const options = kafkaOptionsFor(stack, 'admin', 'kafka-tls-test');
  const admin = createKafka({ ...options, ssl, retries: 0 }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return undefined;
  } catch (error) {
    return failureText(error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The certificate the broker presents, verified against `ca` by Node's TLS itself. */
function brokerCertificate(ca: string): Promise<{ authorized: boolean; protocol: string | null; certificate: PeerCertificate }> {
  const [host, port] = (stack.kafkaBrokers[0] ?? '').split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port), ca: [ca], servername: 'localhost', rejectUnauthorized: true }, () => {
      resolve({ authorized: socket.authorized, protocol: socket.getProtocol(), certificate: socket.getPeerCertificate() });
      socket.end();
    });
    socket.once('error', reject);
  });
}

let ca = '';

beforeAll(() => {
  expect(stack.kafkaCaFile, 'the broker must be SASL_SSL: the stack provides its CA file (.passerelle/kafka-tls/ca.pem)').toBeDefined();
  ca = readFileSync(stack.kafkaCaFile ?? '', 'utf8');
});

describe('Kafka TLS: the client listener is SASL_SSL', () => {
  it('a client with the CA and its credentials connects and is served', async () => {
    expect(await adminFailure({ ca: [ca], rejectUnauthorized: true })).toBeUndefined();
  });

  it('the broker presents a certificate for 127.0.0.1 and localhost, signed by the stack CA, over TLS 1.2 or later', async () => {
    const { authorized, protocol, certificate } = await brokerCertificate(ca);
    expect(authorized).toBe(true);
    expect(['TLSv1.2', 'TLSv1.3']).toContain(protocol);
    expect(certificate.subjectaltname).toContain('IP Address:127.0.0.1');
    expect(certificate.subjectaltname).toContain('DNS:localhost');
  });

  it('a client without the stack CA (the public roots only) is refused: the broker certificate fails verification', async () => {
    const failure = await adminFailure({ ca: [...rootCertificates], rejectUnauthorized: true });
    expect(failure).toBeDefined();
    expect(failure).toMatch(
      /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|self.signed|local issuer/i,
    );
  });

  it('a client trusting another CA is refused the same way', async () => {
    const other = rootCertificates.find((pem) => pem !== ca) ?? '';
    const failure = await adminFailure({ ca: [other], rejectUnauthorized: true });
    expect(failure).toMatch(
      /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|self.signed|local issuer/i,
    );
  });

  it('a plaintext client with valid credentials is refused by the SASL_SSL listener', async () => {
    const failure = await adminFailure(undefined);
    expect(failure).toBeDefined();
    // The broker reads the plaintext request as a TLS record and drops the connection before any SASL step.
    expect(failure).not.toMatch(/SASL|authorization/i);
    expect(failure).toMatch(/KafkaJSConnectionClosedError|KafkaJSConnectionError|ECONNRESET/);
  });
});
