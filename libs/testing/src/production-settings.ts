import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let folder: string | undefined;

/** A file of this process's own temporary folder, written once. */
function fileWith(name: string, text: string): string {
  folder ??= fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-production-'));
  const file = path.join(folder, name);
  if (!fs.existsSync(file)) fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/** The bearer token the metrics token file of `productionBasics` holds. */
export const PRODUCTION_METRICS_TOKEN = randomBytes(32).toString('base64url');

/**
 * The settings every service's production check asks for, for configuration tests that connect
 * to nothing: Kafka SASL credentials and a CA file (a placeholder certificate), a database URL
 * naming a service role, a metrics token file. Add the service's own keys and identity provider.
 */
export function productionBasics(): Record<string, string> {
  return {
    PASSERELLE_ENVIRONMENT: 'production',
    PASSERELLE_KAFKA_USERNAME: 'service',
    PASSERELLE_KAFKA_PASSWORD: randomBytes(16).toString('hex'),
    PASSERELLE_KAFKA_CA_FILE: fileWith('ca.pem', '-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n'),
    DATABASE_URL: 'postgres://passerelle_service@db.internal:5432/passerelle',
    PASSERELLE_METRICS_TOKEN_FILE: fileWith('metrics-token', `${PRODUCTION_METRICS_TOKEN}\n`),
  };
}
