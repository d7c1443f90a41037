import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PARTIES, type Party } from '@passerelle/contracts';
import type { StackConfig } from './config.ts';
import { StackError } from './errors.ts';

/** The principals that are no party's: the projector, and administration (topics, ACLs, test set-up; a super user of the broker). */
export const SERVICE_PRINCIPALS = ['projector', 'admin'] as const;

/** The ministry adapters' principals, from a party registry (default: schemas/parties.json). */
export function ministryPrincipals(parties: readonly Party[] = PARTIES): string[] {
  return parties.map((party) => party.kafkaPrincipal);
}

/** Every SCRAM principal of a broker: one per party's adapter, then the service principals. */
export function kafkaPrincipals(parties: readonly Party[] = PARTIES): string[] {
  const clash = ministryPrincipals(parties).filter((name) => (SERVICE_PRINCIPALS as readonly string[]).includes(name));
  if (clash.length > 0)
    throw new StackError('INVALID_KAFKA_PRINCIPALS', `a party may not use the service principal(s) ${clash.join(', ')}`);
  return [...ministryPrincipals(parties), ...SERVICE_PRINCIPALS];
}

/** Every SCRAM principal of the local broker. */
export const KAFKA_PRINCIPALS: readonly string[] = kafkaPrincipals();
/** A principal's name: the parties' come from the registry, so any string. */
export type KafkaPrincipalName = string;

export interface KafkaCredential {
  readonly username: string;
  readonly password: string;
}

/** Every principal's credential; the service principals' are always there. */
export type KafkaCredentialSet = Readonly<Record<(typeof SERVICE_PRINCIPALS)[number], KafkaCredential>> &
  Readonly<Record<KafkaPrincipalName, KafkaCredential>>;
/** Credentials of some principals, as an environment-named stack may provide. */
export type KafkaCredentialMap = Readonly<Partial<Record<KafkaPrincipalName, KafkaCredential>>>;

/** SASL options for kafkajs (and `createKafka`) as one principal. */
export interface KafkaSasl {
  readonly mechanism: 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/** How an infra command reaches the broker: its addresses, SCRAM credentials and the CA to verify it with when it requires them. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly sasl?: KafkaSasl | undefined;
  /** kafkajs's TLS options: the broker's CA, and never an unverified certificate. */
  readonly ssl?: { readonly ca: readonly string[]; readonly rejectUnauthorized: true } | undefined;
}

/** A connection as kafkajs's client options (`brokers`, `sasl`, `ssl`), to spread into `new Kafka({…})`. */
export function clientAccessOf(connection: KafkaConnection): {
  brokers: string[];
  sasl?: { mechanism: 'scram-sha-512'; username: string; password: string };
  ssl?: { ca: string[]; rejectUnauthorized: true };
} {
  return {
    brokers: [...connection.brokers],
    ...(connection.sasl ? { sasl: { ...connection.sasl } } : {}),
    ...(connection.ssl ? { ssl: { ca: [...connection.ssl.ca], rejectUnauthorized: true as const } } : {}),
  };
}

export const CREDENTIALS_FILE_NAME = 'kafka-credentials.json';

/** Where the local stack keeps its generated credentials: the git-ignored data folder, mode 0600. */
export function credentialsFile(config: Pick<StackConfig, 'home'>): string {
  return path.join(config.home, CREDENTIALS_FILE_NAME);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function principalsOf(value: unknown, where: string): Record<string, unknown> {
  const principals = isObject(value) && isObject(value['principals']) ? value['principals'] : undefined;
  if (!principals) throw new StackError('INVALID_KAFKA_CREDENTIALS', `${where}: expected an object with a "principals" object`);
  return principals;
}

/** Validates a credentials document: every principal with a non-empty username and password. */
export function parseCredentials(value: unknown, where: string, names: readonly string[] = KAFKA_PRINCIPALS): KafkaCredentialSet {
  const principals = principalsOf(value, where);
  const problems: string[] = [];
  const result: Partial<Record<KafkaPrincipalName, KafkaCredential>> = {};
  for (const name of names) {
    const entry = principals[name];
    if (
      !isObject(entry) ||
      typeof entry['username'] !== 'string' ||
      typeof entry['password'] !== 'string' ||
      entry['username'] === '' ||
      entry['password'] === ''
    ) {
      problems.push(`principal "${name}" needs a non-empty username and password`);
      continue;
    }
    result[name] = { username: entry['username'], password: entry['password'] };
  }
  // Never echo a value: the file holds passwords.
  if (problems.length > 0)
    throw new StackError(
      'INVALID_KAFKA_CREDENTIALS',
      `${where}:\n  - ${problems.join('\n  - ')}`,
      'delete the file and the kafka data folder to start afresh, or fix the file',
    );
  return result as KafkaCredentialSet;
}

function readDocument(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StackError('INVALID_KAFKA_CREDENTIALS', `${file} is not valid JSON`);
  }
  return parsed;
}

/** Reads a credentials file; undefined when it does not exist. */
export function readCredentialsFile(file: string): KafkaCredentialSet | undefined {
  const document = readDocument(file);
  return document === undefined ? undefined : parseCredentials(document, file);
}

/** The local stack's credentials; undefined before the first `infra up` of this data folder. */
export function readCredentials(config: Pick<StackConfig, 'home'>): KafkaCredentialSet | undefined {
  return readCredentialsFile(credentialsFile(config));
}

/** 32 random bytes, URL-safe: nothing a shell or a JAAS line needs to quote. */
function newPassword(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The local stack's credentials, generated with a cryptographic random source on first use
 * and written with mode 0600. `created` tells the caller the broker does not know them yet.
 * A principal the file lacks (a party added since) gets a password; the others keep theirs,
 * and the broker learns the new user at the next `infra up` (its SCRAM marker lacks it).
 */
export function ensureCredentials(
  config: Pick<StackConfig, 'home'>,
  names: readonly string[] = KAFKA_PRINCIPALS,
): { credentials: KafkaCredentialSet; created: boolean } {
  const file = credentialsFile(config);
  const existing = readDocument(file);
  const kept = existing === undefined ? {} : principalsOf(existing, file);
  const absent = names.filter((name) => !(name in kept));
  if (existing !== undefined && absent.length === 0) return { credentials: parseCredentials(existing, file, names), created: false };
  const principals = { ...kept, ...Object.fromEntries(absent.map((name) => [name, { username: name, password: newPassword() }])) };
  const credentials = parseCredentials({ principals }, file, names);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const document = {
    $comment:
      'Generated by `infra up` for the local broker (SASL/SCRAM-SHA-512). Never commit; delete it together with kafka/ to start afresh.',
    principals,
  };
  // Written to a temporary name and renamed, so a reader never sees half a file.
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
  fs.chmodSync(file, 0o600);
  return { credentials, created: existing === undefined };
}

/** One principal's credential; throws when the set lacks it. */
export function credentialOf(credentials: KafkaCredentialSet, principal: KafkaPrincipalName): KafkaCredential {
  const credential = credentials[principal];
  if (!credential) throw new StackError('INVALID_KAFKA_CREDENTIALS', `no credential for principal "${principal}"`);
  return credential;
}

/** SASL options of one principal. */
export function saslOf(credentials: KafkaCredentialMap | undefined, principal: KafkaPrincipalName): KafkaSasl | undefined {
  const credential = credentials?.[principal];
  return credential ? { mechanism: 'scram-sha-512', username: credential.username, password: credential.password } : undefined;
}
