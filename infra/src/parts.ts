import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { portIsFree } from './processes.ts';
import { ensureDatabase } from '@passerelle/pg-admin';
import { REPO_ROOT, VERSIONS, adminConnectionOf, endpointsOf, type StackConfig } from './config.ts';
import {
  KAFKA_PRINCIPALS,
  clientAccessOf,
  credentialOf,
  credentialsFile,
  ensureCredentials,
  readCredentials,
  type KafkaCredentialSet,
} from './kafka-credentials.ts';
import { ensureKafkaTls, kafkaStoreFiles, kafkaTlsDir, tlsProblem, type KafkaTlsStores } from './kafka-tls.ts';
import type { ResolvedArtifacts } from './artifacts.ts';
import type { JavaRuntimes } from './prerequisites.ts';
import { StackError } from './errors.ts';
import { keycloak } from './keycloak.ts';
import { httpOk, javaArgs, jdbcConnection } from './part-launch.ts';
import { prometheus } from './prometheus-part.ts';
import { kafkaJmxExporterConfiguration } from './prometheus.ts';

export type PartName = 'kafka' | 'registry' | 'zipkin' | 'keycloak' | 'prometheus';

export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** One server of the local stack: how to prepare it, start it and know it is ready. */
export interface Part {
  readonly name: PartName;
  readonly title: string;
  ports(config: StackConfig): readonly number[];
  url(config: StackConfig): string;
  prepare(config: StackConfig, artifacts: ResolvedArtifacts, java: JavaRuntimes, log: (message: string) => void): Promise<void>;
  launch(config: StackConfig, artifacts: ResolvedArtifacts, java: JavaRuntimes): Launch;
  /**
   * Work once the process runs, before readiness is awaited (kafka: SCRAM users a data folder
   * from before SASL lacks). Resolves true when the part must be prepared and launched again.
   */
  afterLaunch?(config: StackConfig, artifacts: ResolvedArtifacts, java: JavaRuntimes, log: (message: string) => void): Promise<boolean>;
  /** True when a running instance lacks set-up only a restart through prepare/afterLaunch gives. */
  needsSetup?(config: StackConfig): boolean;
  /** One readiness probe; resolves true when the part serves requests. */
  probe(config: StackConfig): Promise<boolean>;
}

function kafkaDir(config: StackConfig): string {
  return path.join(config.home, 'kafka');
}

function jmxExporterConfigFile(config: StackConfig): string {
  return path.join(kafkaDir(config), 'jmx-exporter.yml');
}

/** The listener clients (and the broker itself, inter-broker) use: SASL/SCRAM-SHA-512 over TLS. */
const CLIENT_LISTENER = 'CLIENT';

/**
 * The broker's settings, exported so the docker-compose drift test compares the same values.
 * Listener addresses and the data folder are local-only; the rest must match compose.
 *
 * Identity and access: clients authenticate with SASL/SCRAM-SHA-512 over TLS (SASL_SSL; the
 * certificate is signed by the data folder's own CA, see kafka-tls.ts) and the StandardAuthorizer
 * refuses whatever no ACL allows. The broker talks to itself (inter-broker) on the same listener,
 * verifying its certificate with the truststore: no plaintext listener for clients remains. The
 * controller listener stays PLAINTEXT on loopback (single node, never advertised to clients):
 * the broker reaches its own controller there as ANONYMOUS, hence the second super user.
 */
export function kafkaBrokerSettings(config: StackConfig): Record<string, string> {
  const { host } = config;
  const { port, controllerPort } = config.kafka;
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${host}:${controllerPort}`,
    listeners: `${CLIENT_LISTENER}://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `${CLIENT_LISTENER}://${host}:${port}`,
    'listener.security.protocol.map': `${CLIENT_LISTENER}:SASL_SSL,CONTROLLER:PLAINTEXT`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': CLIENT_LISTENER,
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin;User:ANONYMOUS',
    'allow.everyone.if.no.acl.found': 'false',
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': kafkaStoreFiles(config).keystore,
    'ssl.truststore.type': 'PKCS12',
    'ssl.truststore.location': kafkaStoreFiles(config).truststore,
    // Clients prove who they are with SCRAM, not certificates.
    'ssl.client.auth': 'none',
    'log.dirs': path.join(kafkaDir(config), 'data'),
    'num.partitions': '3',
    // A single broker can never meet the default replication factor of 3 of internal topics.
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    // Topics are declared as data and created by `infra topics apply`; a typo must not invent one.
    'auto.create.topics.enable': 'false',
  };
}

/** Broker settings that differ by design between the local stack and compose (addresses, paths). */
export const KAFKA_LOCAL_ONLY_SETTINGS: readonly string[] = [
  'controller.quorum.voters',
  'listeners',
  'advertised.listeners',
  'listener.security.protocol.map',
  'inter.broker.listener.name',
  'log.dirs',
  'ssl.keystore.location',
  'ssl.truststore.location',
];

/** A JAAS value for a SCRAM login; the passwords are URL-safe base64, so nothing needs escaping. */
function scramJaas(username: string, password: string): string {
  return `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`;
}

/**
 * The broker's properties. `setupPort`: a temporary PLAINTEXT listener on loopback, open only
 * while `infra up` adds the SCRAM users of a data folder formatted before SASL (the controller
 * listener cannot alter SCRAM credentials); the broker is restarted without it right after.
 */
function kafkaProperties(config: StackConfig, credentials: KafkaCredentialSet, tls: KafkaTlsStores, setupPort?: number): string {
  const settings = kafkaBrokerSettings(config);
  if (setupPort !== undefined) {
    settings['listeners'] = `${settings['listeners']},SETUP://${config.host}:${setupPort}`;
    settings['advertised.listeners'] = `${settings['advertised.listeners']},SETUP://${config.host}:${setupPort}`;
    settings['listener.security.protocol.map'] = `${settings['listener.security.protocol.map']},SETUP:PLAINTEXT`;
  }
  const lines = Object.entries(settings).map(([key, value]) => `${key}=${value}`);
  return [
    '# Generated by infra/src/parts.ts at each `infra up`; edit the generator, not this file.',
    ...lines,
    '# The SCRAM login of the listener: the broker authenticates to itself (inter-broker) as admin.',
    `listener.name.${CLIENT_LISTENER.toLowerCase()}.scram-sha-512.sasl.jaas.config=${scramJaas(credentials.admin.username, credentials.admin.password)}`,
    '# The PKCS12 stores of the data folder (kafka-tls/), generated by `infra up`.',
    `ssl.keystore.password=${tls.password}`,
    `ssl.key.password=${tls.password}`,
    `ssl.truststore.password=${tls.password}`,
    '',
  ].join('\n');
}

/** `SCRAM-SHA-512=[…]` for kafka-storage and kafka-configs. */
function scramEntry(password: string, name?: string): string {
  return `SCRAM-SHA-512=[${name === undefined ? '' : `name=${name},`}iterations=8192,password=${password}]`;
}

/** The principals whose SCRAM users this data folder's broker knows, one name a line. */
function scramMarker(config: StackConfig): string {
  return path.join(kafkaDir(config), 'scram-users');
}

function missingScramUsers(config: StackConfig): string[] {
  let known: string[] = [];
  try {
    known = fs
      .readFileSync(scramMarker(config), 'utf8')
      .split('\n')
      .map((line) => line.trim());
  } catch {
    // No marker: a data folder from before SASL, or a format that did not finish.
  }
  return KAFKA_PRINCIPALS.filter((name) => !known.includes(name));
}

function setupPortFile(config: StackConfig): string {
  return path.join(kafkaDir(config), 'setup-port');
}

/** Whether the properties the running broker started from (written at each start) make its listener SASL_SSL. */
function runsTls(config: StackConfig): boolean {
  try {
    return fs.readFileSync(path.join(kafkaDir(config), 'server.properties'), 'utf8').includes(`${CLIENT_LISTENER}:SASL_SSL`);
  } catch {
    return false;
  }
}

function isFormatted(config: StackConfig): boolean {
  return fs.existsSync(path.join(kafkaDir(config), 'data', 'meta.properties'));
}

/** A free TCP port on the host, for the temporary set-up listener. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function recordScramUsers(config: StackConfig): void {
  fs.writeFileSync(scramMarker(config), `${KAFKA_PRINCIPALS.join('\n')}\n`);
}

function kafkaToolArgs(artifacts: ResolvedArtifacts): string[] {
  return ['-cp', path.join(artifacts.kafkaLibDir, '*'), `-Dlog4j2.configurationFile=${path.join(REPO_ROOT, 'infra/kafka/log4j2.xml')}`];
}

function runJava(command: string, args: readonly string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolve({ status: null, output: String(error) }));
    child.on('exit', (status) => resolve({ status, output }));
  });
}

/** Tool output with every password of the set replaced, fit for an error message. */
function redactPasswords(text: string, credentials: KafkaCredentialSet): string {
  return Object.values(credentials).reduce((out, { password }) => out.split(password).join('***'), text);
}

/**
 * Adds the SCRAM users a running broker lacks, through its temporary PLAINTEXT set-up
 * listener (`kafka-configs --bootstrap-server`; Kafka 4.1's controller listener cannot alter
 * SCRAM credentials): how a data folder formatted before SASL upgrades without losing its
 * topics. The password is on the tool's command line for the second it runs (as with
 * `kafka-storage format --add-scram`); it never reaches a log or an error message.
 */
async function addScramUsers(
  config: StackConfig,
  artifacts: ResolvedArtifacts,
  java: JavaRuntimes,
  setupPort: number,
  names: readonly string[],
  log: (message: string) => void,
): Promise<void> {
  const credentials = readCredentials(config);
  if (!credentials) throw new StackError('KAFKA_CREDENTIALS_MISSING', `${credentialsFile(config)} disappeared while kafka was starting`);
  const deadline = Date.now() + config.readyTimeoutMs;
  while (await portIsFree(config.host, setupPort)) {
    if (Date.now() > deadline)
      throw new StackError(
        'KAFKA_SETUP_UNREACHABLE',
        `kafka did not open its set-up listener on port ${setupPort}; see ${path.join(config.logsDir, 'kafka.log')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  for (const name of names) {
    const credential = credentialOf(credentials, name);
    const args = [
      ...kafkaToolArgs(artifacts),
      'kafka.admin.ConfigCommand',
      '--bootstrap-server',
      `${config.host}:${setupPort}`,
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      credential.username,
      '--add-config',
      scramEntry(credential.password),
    ];
    // The broker may still be starting: retry for a while.
    for (let attempt = 1; ; attempt++) {
      const result = await runJava(java.java17, args);
      if (result.status === 0) break;
      if (Date.now() > deadline || attempt >= 10) {
        const output = redactPasswords(result.output, credentials)
          .split('\n')
          .filter((line) => !line.includes(' INFO '))
          .slice(-15)
          .join('\n');
        throw new StackError('KAFKA_SCRAM_USER_FAILED', `could not add the SCRAM user ${name}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  recordScramUsers(config);
  log(`kafka: added SCRAM-SHA-512 users ${names.join(', ')}`);
}

/** Apicurio's settings, exported for the compose drift test; the JDBC URL differs by host only. */
export function registryEnvironment(config: StackConfig): Record<string, string> {
  const db = jdbcConnection(config.databaseUrl, config.registry.database);
  return {
    APICURIO_STORAGE_KIND: 'sql',
    APICURIO_STORAGE_SQL_KIND: 'postgresql',
    APICURIO_DATASOURCE_URL: db.url,
    APICURIO_DATASOURCE_USERNAME: db.username,
    APICURIO_DATASOURCE_PASSWORD: db.password,
    // Tests delete the subjects they made.
    APICURIO_REST_DELETION_ARTIFACT_ENABLED: 'true',
    APICURIO_REST_DELETION_ARTIFACT_VERSION_ENABLED: 'true',
    APICURIO_REST_DELETION_GROUP_ENABLED: 'true',
  };
}

// In-memory storage keeps at most MEM_MAX_SPANS spans (Zipkin's default, 500,000, outgrows its heap when
// every trace of a benchmark is sampled; 150,000 spans ran a 384 MB heap out of memory too, hence 768 MB
// by default): the oldest traces are dropped first.
export const ZIPKIN_ENVIRONMENT: Readonly<Record<string, string>> = {
  STORAGE_TYPE: 'mem',
  MEM_MAX_SPANS: '150000',
  COLLECTOR_SCRIBE_ENABLED: 'false',
};

const kafka: Part = {
  name: 'kafka',
  title: `Apache Kafka ${VERSIONS.kafka} (KRaft)`,
  ports: (config) => [config.kafka.port, config.kafka.controllerPort, config.kafka.metricsPort],
  url: (config) => endpointsOf(config).kafkaBrokers.join(','),
  async prepare(config, artifacts, java, log) {
    const dir = kafkaDir(config);
    fs.mkdirSync(dir, { recursive: true });
    const { credentials, created } = ensureCredentials(config);
    if (created) {
      log(`kafka: generated SCRAM credentials for ${KAFKA_PRINCIPALS.join(', ')} in ${credentialsFile(config)} (mode 0600)`);
      // New passwords: whatever users the broker knows have others, so they are all set again.
      fs.rmSync(scramMarker(config), { force: true });
    }
    const tls = ensureKafkaTls(config, java.java17);
    if (tls.created)
      log(
        `kafka: generated a local CA and broker certificate in ${kafkaTlsDir(config)} (${tls.reason}); clients verify the broker with ${tls.stores.caFile}`,
      );
    fs.writeFileSync(jmxExporterConfigFile(config), kafkaJmxExporterConfiguration());
    const propertiesFile = path.join(dir, 'server.properties');
    // It holds the admin password (the broker's own login): readable by this user only.
    if (isFormatted(config)) {
      const missing = missingScramUsers(config);
      let setupPort: number | undefined;
      if (missing.length > 0) {
        setupPort = await freePort(config.host);
        fs.writeFileSync(setupPortFile(config), String(setupPort));
        log(
          `kafka: this data folder predates SASL/SCRAM (no users ${missing.join(', ')}): starting once with a loopback set-up listener on ${setupPort} to add them; topics and offsets are kept`,
        );
      } else {
        fs.rmSync(setupPortFile(config), { force: true });
      }
      fs.writeFileSync(propertiesFile, kafkaProperties(config, credentials, tls.stores, setupPort), { mode: 0o600 });
      fs.chmodSync(propertiesFile, 0o600);
      return;
    }
    fs.rmSync(setupPortFile(config), { force: true });
    fs.writeFileSync(propertiesFile, kafkaProperties(config, credentials, tls.stores), { mode: 0o600 });
    fs.chmodSync(propertiesFile, 0o600);
    const clusterIdFile = path.join(dir, 'cluster-id');
    if (!fs.existsSync(clusterIdFile)) fs.writeFileSync(clusterIdFile, randomBytes(16).toString('base64url'));
    const clusterId = fs.readFileSync(clusterIdFile, 'utf8').trim();
    log(`kafka: formatting storage for cluster ${clusterId} with SCRAM-SHA-512 users ${KAFKA_PRINCIPALS.join(', ')}`);
    const scram = KAFKA_PRINCIPALS.map((name) => credentialOf(credentials, name)).flatMap((credential) => [
      '--add-scram',
      scramEntry(credential.password, credential.username),
    ]);
    // `--cluster-id=…` in one argument: a base64url id may start with '-' and read as an option.
    const format = spawnSync(
      java.java17,
      [...kafkaToolArgs(artifacts), 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', propertiesFile, ...scram],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) {
      throw new StackError(
        'KAFKA_FORMAT_FAILED',
        `kafka storage format failed:\n${redactPasswords(`${format.stdout}${format.stderr}`, credentials)}`,
      );
    }
    recordScramUsers(config);
  },
  async afterLaunch(config, artifacts, java, log) {
    const missing = missingScramUsers(config);
    if (missing.length === 0 || !fs.existsSync(setupPortFile(config))) return false;
    const setupPort = Number(fs.readFileSync(setupPortFile(config), 'utf8').trim());
    await addScramUsers(config, artifacts, java, setupPort, missing, log);
    fs.rmSync(setupPortFile(config), { force: true });
    log('kafka: restarting without the set-up listener');
    return true;
  },
  // Only after a SASL version prepared the folder (credentials exist): an upgrade that did not finish,
  // a broker still on SASL_PLAINTEXT, or TLS material gone or expiring. A PLAINTEXT broker of an
  // earlier version is left running as it is.
  needsSetup: (config) =>
    readCredentials(config) !== undefined &&
    isFormatted(config) &&
    (missingScramUsers(config).length > 0 || !runsTls(config) || tlsProblem(kafkaTlsDir(config), config.host) !== undefined),
  launch(config, artifacts, java) {
    return {
      command: java.java17,
      args: [
        ...javaArgs('kafka', config.kafka.heapMb),
        // The broker's meters for Prometheus, on loopback: `[host:]port:config` is the agent's argument.
        `-javaagent:${artifacts.jmxExporterJar}=${config.host}:${config.kafka.metricsPort}:${jmxExporterConfigFile(config)}`,
        `-Dlog4j2.configurationFile=${path.join(REPO_ROOT, 'infra/kafka/log4j2.xml')}`,
        `-Dkafka.logs.dir=${config.logsDir}`,
        '-cp',
        path.join(artifacts.kafkaLibDir, '*'),
        'kafka.Kafka',
        path.join(kafkaDir(config), 'server.properties'),
      ],
      cwd: kafkaDir(config),
      env: { ...process.env },
    };
  },
  async probe(config) {
    const connection = adminConnectionOf(endpointsOf(config));
    const client = new kafkajs.Kafka({
      clientId: 'passerelle-infra-probe',
      ...clientAccessOf(connection),
      logLevel: kafkajs.logLevel.NOTHING,
      connectionTimeout: 1500,
      retry: { retries: 0 },
    });
    const admin = client.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },
};

const registry: Part = {
  name: 'registry',
  title: `Apicurio Registry ${VERSIONS.apicurio} (Confluent API)`,
  ports: (config) => [config.registry.port, config.registry.managementPort],
  url: (config) => endpointsOf(config).registryUrl,
  async prepare(config, _artifacts, _java, log) {
    if (await ensureDatabase(config.databaseUrl, config.registry.database)) {
      log(`registry: created PostgreSQL database ${config.registry.database}`);
    }
  },
  launch(config, artifacts, java) {
    return {
      command: java.java21,
      args: [
        ...javaArgs('registry', config.registry.heapMb),
        `-Dquarkus.http.host=${config.host}`,
        `-Dquarkus.http.port=${config.registry.port}`,
        `-Dquarkus.management.host=${config.host}`,
        `-Dquarkus.management.port=${config.registry.managementPort}`,
        '-jar',
        path.join(artifacts.apicurioDir, 'quarkus-run.jar'),
      ],
      cwd: artifacts.apicurioDir,
      env: { ...process.env, ...registryEnvironment(config) },
    };
  },
  probe: (config) => httpOk(`${endpointsOf(config).registryUrl}/subjects`),
};

const zipkin: Part = {
  name: 'zipkin',
  title: `Zipkin ${VERSIONS.zipkin}`,
  ports: (config) => [config.zipkin.port],
  url: (config) => `${endpointsOf(config).zipkinUrl}/zipkin/`,
  async prepare() {},
  launch(config, artifacts, java) {
    return {
      command: java.java17,
      args: [
        ...javaArgs('zipkin', config.zipkin.heapMb),
        '-jar',
        artifacts.zipkinJar,
        `--armeria.ports[0].ip=${config.host}`,
        `--armeria.ports[0].port=${config.zipkin.port}`,
        '--armeria.ports[0].protocols[0]=http',
      ],
      cwd: config.home,
      env: { ...process.env, ...ZIPKIN_ENVIRONMENT, QUERY_PORT: String(config.zipkin.port) },
    };
  },
  probe: (config) => httpOk(`${endpointsOf(config).zipkinUrl}/health`),
};

export const PARTS: readonly Part[] = [kafka, registry, zipkin, keycloak, prometheus];

export function partNamed(name: string): Part {
  const part = PARTS.find((candidate) => candidate.name === name);
  if (!part) throw new StackError('UNKNOWN_PART', `unknown part "${name}"; the parts are ${PARTS.map((p) => p.name).join(', ')}`);
  return part;
}
