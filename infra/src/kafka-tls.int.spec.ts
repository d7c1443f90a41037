import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureKafkaTls, kafkaTlsDir, tlsProblem } from './kafka-tls.ts';

/** The broker's TLS material, generated with the JDK's keytool into a throw-away data folder. */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-kafka-tls-'));
const config = { home, host: '127.0.0.1' };

afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe('the local Kafka CA', () => {
  it('is made at the first up: a CA-signed certificate for 127.0.0.1 and localhost, the stores and password readable by this user only', () => {
    const { stores, created } = ensureKafkaTls(config, 'java');
    expect(created).toBe(true);
    const ca = new X509Certificate(fs.readFileSync(stores.caFile));
    const broker = new X509Certificate(fs.readFileSync(path.join(kafkaTlsDir(config), 'broker.pem')));
    expect(ca.ca).toBe(true);
    expect(broker.verify(ca.publicKey)).toBe(true);
    expect(broker.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(broker.subjectAltName).toContain('DNS:localhost');
    // Valid for about 13 months: renewed 30 days before it expires.
    const days = (new Date(broker.validTo).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(390);
    expect(days).toBeLessThan(400);
    for (const file of ['broker.p12', 'truststore.p12', 'store-password']) {
      expect(fs.statSync(path.join(kafkaTlsDir(config), file)).mode & 0o077, file).toBe(0);
    }
    // The CA's key signed the broker's certificate and went: nobody can issue another the clients trust.
    expect(fs.readdirSync(kafkaTlsDir(config)).sort()).toEqual(['broker.p12', 'broker.pem', 'ca.pem', 'store-password', 'truststore.p12']);
    expect(tlsProblem(kafkaTlsDir(config), '127.0.0.1')).toBeUndefined();
  });

  it('is kept by the next up, and made anew (another CA) when part of it is missing', () => {
    const first = fs.readFileSync(path.join(kafkaTlsDir(config), 'ca.pem'), 'utf8');
    expect(ensureKafkaTls(config, 'java').created).toBe(false);

    fs.rmSync(path.join(kafkaTlsDir(config), 'truststore.p12'));
    expect(tlsProblem(kafkaTlsDir(config), '127.0.0.1')).toBe('truststore.p12 is missing');
    const again = ensureKafkaTls(config, 'java');
    expect(again).toMatchObject({ created: true, reason: 'truststore.p12 is missing' });
    expect(fs.readFileSync(again.stores.caFile, 'utf8')).not.toBe(first);
  });

  it('is reported for renewal when the broker certificate expires within 30 days, or does not name the host', () => {
    const dir = kafkaTlsDir(config);
    const inElevenMonths = new Date(Date.now() + 380 * 86_400_000);
    expect(tlsProblem(dir, '127.0.0.1', inElevenMonths)).toMatch(/^the broker certificate expires on /);
    expect(tlsProblem(dir, '10.0.0.1')).toBe('the broker certificate does not name 10.0.0.1');
  });
});
