/**
 * `npm run projector -- <command>`: the projector's operator commands against the local stack.
 * Runs services/projector/src/entry-points/cli.ts with what `npm start` gives the projector,
 * read from the data folder ($PASSERELLE_HOME, default .passerelle/; its ports as `npm start` reads
 * them): the projector's own Kafka principal, or admin for redrive, erasure verify and topics
 * seal. Variables the shell sets win. Exit 2 naming each variable that cannot be found.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, endpointsOf, loadStackConfig } from '@passerelle/infra';
import { readDevSecrets } from './dev-secrets.ts';
import { projectorCliEnvironment } from './projector-cli-environment.ts';

const args = process.argv.slice(2);
const config = loadStackConfig(process.env);
const endpoints = endpointsOf(config);
const { env, missing } = projectorCliEnvironment(args, process.env, {
  home: config.home,
  kafkaBrokers: endpoints.kafkaBrokers,
  registryUrl: endpoints.registryUrl,
  kafkaCaFile: endpoints.kafkaCaFile,
  kafkaCredentials: endpoints.kafkaCredentials,
  secrets: readDevSecrets(config.home),
});
if (missing.length > 0) {
  console.error(`projector: invalid configuration:\n${missing.map((m) => `  ${m.variable}: ${m.reason}`).join('\n')}`);
  console.error('start the stack once with `npm start`, or set them (docs/operations.md#credentials-for-the-clis)');
  process.exit(2);
}

const child = spawn(
  path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
  [path.join(REPO_ROOT, 'services', 'projector', 'src', 'entry-points', 'cli.ts'), ...args],
  { cwd: REPO_ROOT, env, stdio: 'inherit' },
);
// The terminal's Ctrl-C reaches the child itself; a signal sent to this process only is passed on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(signal, () => {
    if (child.exitCode === null) child.kill(signal);
  });
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)));
