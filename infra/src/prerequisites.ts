import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PrerequisiteError } from './errors.ts';
import { serverVersion } from '@passerelle/pg-admin';
import { redactUrl } from '@passerelle/config';
import type { StackConfig } from './config.ts';

export interface PrerequisiteReport {
  readonly java: string;
  /** Java executables chosen for the servers: Kafka and Zipkin run on 17+, Apicurio 3.3 needs 21+. */
  readonly runtimes: JavaRuntimes;
  readonly maven: string;
  readonly node: string;
  readonly postgres: string;
}

export interface JavaRuntimes {
  readonly java17: string;
  readonly java21: string;
}

function javaMajorOf(command: string): number {
  const line = firstLine(command, ['-version']);
  return line ? Number(/version "(\d+)/.exec(line)?.[1] ?? '0') : 0;
}

/** The first Java executable at least `minMajor`: the configured one, then the PATH, then /usr/lib/jvm. */
function findJava(preferred: readonly string[], minMajor: number): string | undefined {
  let installed: string[] = [];
  try {
    installed = fs
      .readdirSync('/usr/lib/jvm')
      .map((dir) => path.join('/usr/lib/jvm', dir, 'bin', 'java'))
      .sort()
      .reverse();
  } catch {
    installed = [];
  }
  return [...preferred, ...installed].find((command) => javaMajorOf(command) >= minMajor);
}

function firstLine(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0];
}

/** Checks everything the stack needs and names each missing piece with how to get it. */
export async function checkPrerequisites(config: StackConfig): Promise<PrerequisiteReport> {
  const missing: { message: string; hint: string }[] = [];

  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor < 20) {
    missing.push({
      message: `Node.js 20 or newer is required, found ${process.versions.node}`,
      hint: "install Node.js 20 or newer: Debian 12's nodejs package is 18, too old; use NodeSource's packages, nvm, or the binaries from nodejs.org",
    });
  }

  const java = firstLine(config.javaCommand, ['-version']);
  const javaMajor = java ? Number(/version "(\d+)/.exec(java)?.[1] ?? '0') : 0;
  if (!java) {
    missing.push({
      message: `Java not found (${config.javaCommand})`,
      hint: 'install one JDK 21 or newer, which runs every Java part (Kafka and Zipkin need 17, the registry 21; Debian 12 packages only 17: take Eclipse Temurin 21), or set JAVA_HOME',
    });
  } else if (javaMajor < 17) {
    missing.push({
      message: `Java 17 or newer is required, found: ${java}`,
      hint: 'install openjdk-17-jdk-headless, or point JAVA_HOME at a JDK 17+',
    });
  }

  const java21 = findJava(
    [config.registryJavaCommand, config.javaCommand].filter((c): c is string => c !== undefined),
    21,
  );
  if (!java21) {
    missing.push({
      message: 'Apicurio Registry 3.3 needs Java 21 or newer, and none was found (JAVA_HOME, PATH, /usr/lib/jvm)',
      hint: 'install a JDK 21+ (for example Temurin 25 under /usr/lib/jvm) or set PASSERELLE_REGISTRY_JAVA_HOME',
    });
  }

  const maven = firstLine('mvn', ['-B', '-v']);
  if (!maven) missing.push({ message: 'Maven (mvn) not found', hint: 'apt-get install maven' });

  let postgres = '';
  try {
    postgres = await serverVersion(config.databaseUrl);
  } catch (error) {
    missing.push({
      message: `PostgreSQL is not reachable at ${redactUrl(config.databaseUrl)}: ${(error as Error).message}`,
      hint: 'start PostgreSQL 14+ (pg_ctlcluster 15 main start) or set DATABASE_URL to a server you can reach',
    });
  }

  if (missing.length > 0) {
    throw new PrerequisiteError(
      `missing prerequisites:\n${missing.map((m) => `  - ${m.message}`).join('\n')}`,
      missing.map((m) => `  - ${m.hint}`).join('\n'),
    );
  }
  return {
    java: java ?? '',
    runtimes: { java17: config.javaCommand, java21: java21 ?? '' },
    maven: maven ?? '',
    node: process.versions.node,
    postgres,
  };
}
