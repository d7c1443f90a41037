import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ArtifactError } from './errors.ts';
import { REPO_ROOT, VERSIONS } from './config.ts';

/**
 * Server binaries come from Maven Central through Maven itself, so they land in ~/.m2 once
 * and every later `up` (even from a fresh clone) resolves them offline. Each unpacked
 * artifact gets a `.complete` marker written last: a half-copied folder is redone.
 */
export interface ResolvedArtifacts {
  readonly kafkaLibDir: string;
  readonly apicurioDir: string;
  readonly zipkinJar: string;
  /** The Prometheus JMX exporter agent the broker starts with. */
  readonly jmxExporterJar: string;
}

type Log = (message: string) => void;

function runMaven(args: readonly string[], what: string, log: Log): void {
  const offline = spawnSync('mvn', ['-B', '-q', '-o', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (offline.status === 0) {
    log(`${what}: taken from the local Maven cache`);
    return;
  }
  log(`${what}: not in the local Maven cache, downloading from Maven Central (first time only)…`);
  const online = spawnSync('mvn', ['-B', '-q', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (online.status !== 0) {
    throw new ArtifactError(what, `${online.stdout ?? ''}${online.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n'));
  }
}

function ensure(dir: string, what: string, log: Log, fill: (dir: string) => void): void {
  const marker = path.join(dir, '.complete');
  if (fs.existsSync(marker)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fill(dir);
  fs.writeFileSync(marker, new Date().toISOString());
  log(`${what}: ready in ${path.relative(REPO_ROOT, dir)}`);
}

export function resolveArtifacts(home: string, log: Log): ResolvedArtifacts {
  const lib = path.join(home, 'lib');
  const kafkaLibDir = path.join(lib, `kafka-${VERSIONS.kafka}`);
  const apicurioDir = path.join(lib, `apicurio-registry-${VERSIONS.apicurio}`);
  const zipkinDir = path.join(lib, `zipkin-${VERSIONS.zipkin}`);

  ensure(kafkaLibDir, `Kafka ${VERSIONS.kafka}`, log, (dir) => {
    runMaven(
      ['-f', 'infra/maven/kafka.pom.xml', `-Dkafka.version=${VERSIONS.kafka}`, 'dependency:copy-dependencies', `-DoutputDirectory=${dir}`],
      `Kafka ${VERSIONS.kafka}`,
      log,
    );
  });

  ensure(apicurioDir, `Apicurio Registry ${VERSIONS.apicurio}`, log, (dir) => {
    const download = path.join(dir, '.download');
    runMaven(
      ['dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${VERSIONS.apicurio}:tar.gz:all`, `-DoutputDirectory=${download}`],
      `Apicurio Registry ${VERSIONS.apicurio}`,
      log,
    );
    const archive = path.join(download, `apicurio-registry-app-${VERSIONS.apicurio}-all.tar.gz`);
    const untar = spawnSync('tar', ['-xzf', archive, '-C', dir], { encoding: 'utf8' });
    if (untar.status !== 0) throw new ArtifactError(`Apicurio Registry ${VERSIONS.apicurio} (unpacking)`, untar.stderr);
    fs.rmSync(download, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dir, 'quarkus-run.jar'))) {
      throw new ArtifactError(`Apicurio Registry ${VERSIONS.apicurio}`, 'the archive has no quarkus-run.jar at its root');
    }
  });

  ensure(zipkinDir, `Zipkin ${VERSIONS.zipkin}`, log, (dir) => {
    runMaven(
      ['dependency:copy', `-Dartifact=io.zipkin:zipkin-server:${VERSIONS.zipkin}:jar:exec`, `-DoutputDirectory=${dir}`],
      `Zipkin ${VERSIONS.zipkin}`,
      log,
    );
  });

  const jmxExporterDir = path.join(lib, `jmx-exporter-${VERSIONS.jmxExporter}`);
  ensure(jmxExporterDir, `Prometheus JMX exporter ${VERSIONS.jmxExporter}`, log, (dir) => {
    runMaven(
      ['dependency:copy', `-Dartifact=io.prometheus.jmx:jmx_prometheus_javaagent:${VERSIONS.jmxExporter}:jar`, `-DoutputDirectory=${dir}`],
      `Prometheus JMX exporter ${VERSIONS.jmxExporter}`,
      log,
    );
  });

  return {
    kafkaLibDir,
    apicurioDir,
    zipkinJar: path.join(zipkinDir, `zipkin-server-${VERSIONS.zipkin}-exec.jar`),
    jmxExporterJar: path.join(jmxExporterDir, `jmx_prometheus_javaagent-${VERSIONS.jmxExporter}.jar`),
  };
}

/**
 * Keycloak's distribution (a zip of 165 MB), resolved only when the keycloak part starts so that
 * `up kafka` never fetches it. Returns the folder holding `bin/kc.sh`.
 */
export function resolveKeycloak(home: string, log: Log): string {
  const what = `Keycloak ${VERSIONS.keycloak}`;
  const dir = path.join(home, 'lib', `keycloak-${VERSIONS.keycloak}`);
  ensure(dir, what, log, (target) => {
    const download = path.join(target, '.download');
    runMaven(
      ['dependency:copy', `-Dartifact=org.keycloak:keycloak-quarkus-dist:${VERSIONS.keycloak}:zip`, `-DoutputDirectory=${download}`],
      what,
      log,
    );
    const archive = path.join(download, `keycloak-quarkus-dist-${VERSIONS.keycloak}.zip`);
    const unzip = spawnSync('unzip', ['-q', archive, '-d', target], { encoding: 'utf8' });
    if (unzip.status !== 0) throw new ArtifactError(`${what} (unpacking)`, unzip.stderr || String(unzip.error));
    fs.rmSync(download, { recursive: true, force: true });
  });
  const distribution = path.join(dir, `keycloak-${VERSIONS.keycloak}`);
  if (!fs.existsSync(path.join(distribution, 'bin', 'kc.sh'))) throw new ArtifactError(what, `no bin/kc.sh under ${distribution}`);
  return distribution;
}
