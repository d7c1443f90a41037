import { spawnSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StackConfig } from './config.ts';
import { StackError } from './errors.ts';

/** The folder of the local broker's TLS material, in the git-ignored data folder; never committed. */
export function kafkaTlsDir(config: Pick<StackConfig, 'home'>): string {
  return path.join(config.home, 'kafka-tls');
}

/** The local CA's certificate (PEM): what every client verifies the broker against (PASSERELLE_KAFKA_CA_FILE). */
export function kafkaCaFile(config: Pick<StackConfig, 'home'>): string {
  return path.join(kafkaTlsDir(config), 'ca.pem');
}

/** The broker's PKCS12 keystore and truststore in the data folder (their password is apart, mode 0600). */
export function kafkaStoreFiles(config: Pick<StackConfig, 'home'>): { readonly keystore: string; readonly truststore: string } {
  const { keystore, truststore } = storesIn(kafkaTlsDir(config));
  return { keystore, truststore };
}

/** What the broker's properties name: a PKCS12 keystore (its key and certificate) and truststore (the CA). */
export interface KafkaTlsStores {
  readonly caFile: string;
  readonly keystore: string;
  readonly truststore: string;
  /** The stores' password, random per generation (mode 0600 file); PKCS12 wants one. */
  readonly password: string;
}

const CA_VALIDITY_DAYS = 825;
const BROKER_VALIDITY_DAYS = 397;
/** Regenerated when either certificate expires within this many days. */
const RENEW_BEFORE_DAYS = 30;

function storesIn(dir: string): KafkaTlsStores & { brokerCert: string; passwordFile: string } {
  const passwordFile = path.join(dir, 'store-password');
  let password = '';
  try {
    password = fs.readFileSync(passwordFile, 'utf8').trim();
  } catch {
    // Absent: the material is incomplete and is generated again.
  }
  return {
    caFile: path.join(dir, 'ca.pem'),
    keystore: path.join(dir, 'broker.p12'),
    truststore: path.join(dir, 'truststore.p12'),
    brokerCert: path.join(dir, 'broker.pem'),
    passwordFile,
    password,
  };
}

/** Why the material in `dir` cannot serve `host` (missing, expiring, not issued by the CA); undefined when it can. */
export function tlsProblem(dir: string, host: string, now = new Date()): string | undefined {
  const stores = storesIn(dir);
  for (const file of [stores.caFile, stores.brokerCert, stores.keystore, stores.truststore, stores.passwordFile]) {
    if (!fs.existsSync(file)) return `${path.basename(file)} is missing`;
  }
  if (stores.password === '') return 'the store password is empty';
  let ca: X509Certificate;
  let broker: X509Certificate;
  try {
    ca = new X509Certificate(fs.readFileSync(stores.caFile));
    broker = new X509Certificate(fs.readFileSync(stores.brokerCert));
  } catch {
    return 'a certificate cannot be parsed';
  }
  const horizon = now.getTime() + RENEW_BEFORE_DAYS * 86_400_000;
  for (const [name, cert] of [
    ['the CA', ca],
    ['the broker certificate', broker],
  ] as const) {
    if (new Date(cert.validTo).getTime() < horizon) return `${name} expires on ${cert.validTo}`;
  }
  if (!broker.checkIssued(ca) || !broker.verify(ca.publicKey)) return 'the broker certificate is not signed by the CA';
  if (broker.checkIP(host) === undefined) return `the broker certificate does not name ${host}`;
  return undefined;
}

function keytoolOf(java: string): string {
  return java.includes(path.sep) ? path.join(path.dirname(java), 'keytool') : 'keytool';
}

/** The variable keytool reads the store password from (`-storepass:env`), so no command line shows it. */
const PASSWORD_VARIABLE = 'PASSERELLE_KEYTOOL_STORE_PASSWORD';

function keytool(command: string, args: readonly string[], password: string): void {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, [PASSWORD_VARIABLE]: password } });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.split(password).join('***');
    throw new StackError('KAFKA_TLS_FAILED', `keytool ${args[0]} failed:\n${output.trim()}`);
  }
}

/**
 * The local broker's TLS material, generated with the JDK's keytool at the first `up` and
 * again when missing, expiring or not matching: a CA of this data folder only (its key is
 * deleted once it has signed the broker's certificate; renewal makes a new CA), a broker certificate it signs for `host` and localhost, the broker's
 * PKCS12 keystore and truststore, and the CA as PEM for Node clients. `created` tells the caller
 * clients holding the former CA must restart.
 */
export function ensureKafkaTls(
  config: Pick<StackConfig, 'home' | 'host'>,
  java: string,
): { stores: KafkaTlsStores; created: boolean; reason?: string } {
  const dir = kafkaTlsDir(config);
  const reason = tlsProblem(dir, config.host);
  if (reason === undefined) {
    const { caFile, keystore, truststore, password } = storesIn(dir);
    return { stores: { caFile, keystore, truststore, password }, created: false };
  }
  // Built in a fresh folder and renamed: a reader never sees half of it.
  const work = `${dir}.${process.pid}.tmp`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString('base64url');
  const tool = keytoolOf(java);
  const stores = storesIn(work);
  const caStore = path.join(work, 'ca.p12');
  const csr = path.join(work, 'broker.csr');
  const common = ['-storetype', 'PKCS12', '-storepass:env', PASSWORD_VARIABLE, '-keypass:env', PASSWORD_VARIABLE];
  const key = ['-keyalg', 'EC', '-groupname', 'secp256r1'];
  const san = `SAN=ip:${config.host},dns:localhost`;
  keytool(
    tool,
    [
      '-genkeypair',
      '-keystore',
      caStore,
      ...common,
      '-alias',
      'ca',
      ...key,
      '-dname',
      'CN=Passerelle local Kafka CA',
      '-validity',
      String(CA_VALIDITY_DAYS),
      '-ext',
      'BasicConstraints:critical=ca:true,pathlen:0',
      '-ext',
      'KeyUsage:critical=keyCertSign,cRLSign',
    ],
    password,
  );
  keytool(tool, ['-exportcert', '-keystore', caStore, ...common, '-alias', 'ca', '-rfc', '-file', stores.caFile], password);
  keytool(tool, ['-genkeypair', '-keystore', stores.keystore, ...common, '-alias', 'broker', ...key, '-dname', 'CN=localhost'], password);
  keytool(tool, ['-certreq', '-keystore', stores.keystore, ...common, '-alias', 'broker', '-file', csr], password);
  keytool(
    tool,
    [
      '-gencert',
      '-keystore',
      caStore,
      ...common,
      '-alias',
      'ca',
      '-infile',
      csr,
      '-outfile',
      stores.brokerCert,
      '-rfc',
      '-validity',
      String(BROKER_VALIDITY_DAYS),
      '-ext',
      san,
      '-ext',
      'KeyUsage:critical=digitalSignature,keyEncipherment',
      '-ext',
      'ExtendedKeyUsage=serverAuth,clientAuth',
    ],
    password,
  );
  // The reply's chain ends at the CA, which the keystore must hold to accept it.
  keytool(tool, ['-importcert', '-keystore', stores.keystore, ...common, '-alias', 'ca', '-file', stores.caFile, '-noprompt'], password);
  keytool(
    tool,
    ['-importcert', '-keystore', stores.keystore, ...common, '-alias', 'broker', '-file', stores.brokerCert, '-noprompt'],
    password,
  );
  keytool(tool, ['-importcert', '-keystore', stores.truststore, ...common, '-alias', 'ca', '-file', stores.caFile, '-noprompt'], password);
  // The CA's key has signed the one certificate it ever will: renewal makes a new CA, so the key goes.
  fs.rmSync(csr, { force: true });
  fs.rmSync(caStore, { force: true });
  fs.writeFileSync(stores.passwordFile, `${password}\n`, { mode: 0o600 });
  for (const file of [stores.keystore, stores.truststore, stores.passwordFile]) fs.chmodSync(file, 0o600);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(work, dir);
  const { caFile, keystore, truststore } = storesIn(dir);
  return { stores: { caFile, keystore, truststore, password }, created: true, reason };
}

/** The local CA's PEM when the data folder has one (the broker's listener is then SASL_SSL). */
export function readKafkaCa(config: Pick<StackConfig, 'home'>): string | undefined {
  try {
    return fs.readFileSync(kafkaCaFile(config), 'utf8');
  } catch {
    return undefined;
  }
}
