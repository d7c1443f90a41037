/**
 * What `npm run projector -- …` gives the projector's CLI, as `npm start` gives the projector
 * (scripts/start.ts): the stack's brokers and registry, the broker's CA, a Kafka principal's SCRAM
 * credentials, the record-key secret and the key-encryption key, all from the local data folder.
 * A variable the shell sets wins. Pure: the caller reads the data folder.
 */

/** The projector's commands that need more than its own principal: they write to ministry topics, or read and rewrite every topic. */
const ADMIN_COMMANDS: readonly (readonly [string, string])[] = [
  ['dead-letters', 'redrive'],
  ['erasure', 'verify'],
  ['topics', 'seal'],
];

/** Commands that never reach Kafka. */
const KAFKA_FREE_COMMANDS: readonly (string | undefined)[] = [undefined, 'help', 'rekey'];

export type CliPrincipal = 'projector' | 'admin';

/** The Kafka principal a projector command runs as: `admin` for redrive, erasure verify and topics seal, the projector's own otherwise. */
export function principalOfCommand(args: readonly string[]): CliPrincipal {
  const [command, sub] = args.filter((arg) => !arg.startsWith('--'));
  return ADMIN_COMMANDS.some(([c, s]) => c === command && s === sub) ? 'admin' : 'projector';
}

/** What the local stack offers, read from its data folder (absent parts: a folder `npm start` never ran in). */
export interface LocalStack {
  /** Where the data folder is, for messages. */
  readonly home: string;
  readonly kafkaBrokers: readonly string[];
  readonly registryUrl: string;
  readonly kafkaCaFile?: string | undefined;
  readonly kafkaCredentials?: Readonly<Partial<Record<string, { readonly username: string; readonly password: string }>>> | undefined;
  readonly secrets?: { readonly recordKeySecret?: string; readonly keyEncryptionKey?: string } | undefined;
}

export interface CliEnvironment {
  /** The environment to run the CLI with. */
  readonly env: Record<string, string>;
  /** The principal whose credentials it carries (unless the shell set its own). */
  readonly principal: CliPrincipal;
  /** Each variable the command needs that neither the shell nor the data folder provides, with why; never a value. */
  readonly missing: readonly { readonly variable: string; readonly reason: string }[];
}

const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

export function projectorCliEnvironment(
  args: readonly string[],
  shell: Readonly<Record<string, string | undefined>>,
  stack: LocalStack,
): CliEnvironment {
  const env: Record<string, string> = Object.fromEntries(
    Object.entries(shell).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const missing: { variable: string; reason: string }[] = [];
  const fill = (variable: string, value: string | undefined): void => {
    if (!isSet(env[variable]) && isSet(value)) env[variable] = value;
  };
  fill('PASSERELLE_KAFKA_BROKERS', stack.kafkaBrokers.join(','));
  fill('PASSERELLE_REGISTRY_URL', stack.registryUrl);
  const principal = principalOfCommand(args);
  const [command] = args.filter((arg) => !arg.startsWith('--'));
  // rekey takes the new secret from the shell only: the local one, filled in by mistake against
  // another view, would re-perturb every figure it publishes (docs/disclosure-control.md).
  if (command !== 'rekey') fill('PASSERELLE_RECORD_KEY_SECRET', stack.secrets?.recordKeySecret);
  fill('PASSERELLE_KEY_ENCRYPTION_KEY', stack.secrets?.keyEncryptionKey);

  if (KAFKA_FREE_COMMANDS.includes(command)) return { env, principal, missing };
  // A username or password from the shell is the operator's choice of principal: both or neither (the CLI says which is missing).
  if (!isSet(env['PASSERELLE_KAFKA_USERNAME']) && !isSet(env['PASSERELLE_KAFKA_PASSWORD'])) {
    const credential = stack.kafkaCredentials?.[principal];
    if (credential) {
      env['PASSERELLE_KAFKA_USERNAME'] = credential.username;
      env['PASSERELLE_KAFKA_PASSWORD'] = credential.password;
    } else {
      const reason = `not set, and ${stack.home}/kafka-credentials.json (written by \`npm start\`) has no "${principal}" principal`;
      missing.push({ variable: 'PASSERELLE_KAFKA_USERNAME', reason }, { variable: 'PASSERELLE_KAFKA_PASSWORD', reason });
    }
  }
  fill('PASSERELLE_KAFKA_CA_FILE', stack.kafkaCaFile);
  if (!isSet(env['PASSERELLE_KAFKA_CA_FILE']))
    missing.push({
      variable: 'PASSERELLE_KAFKA_CA_FILE',
      reason: `not set, and ${stack.home}/kafka-tls/ca.pem (written by \`npm start\`) does not exist: the broker's listener is SASL_SSL`,
    });
  return { env, principal, missing };
}
