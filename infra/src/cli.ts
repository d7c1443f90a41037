import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { ConfigError } from '@passerelle/config';
import { ContractError } from '@passerelle/contracts';
import { adminConnectionOf, endpointsOf, loadStackConfig } from './config.ts';
import { aclsCommand, provisionCommand, schemasCommand, topicsCommand } from './contract-commands.ts';
import { StackError } from './errors.ts';
import { PARTS, partNamed, type PartName } from './parts.ts';
import { partiesCommand } from './party-artifacts.ts';
import { tailFile } from './processes.ts';
import { down, logFileOf, status, up } from './stack.ts';

const USAGE = `usage: npm run infra -- <command>

commands:
  up [part…]              start the local stack (kafka, registry, zipkin, keycloak) and wait until ready
  down [part…]            stop what the stack runs (SIGTERM, then SIGKILL after 30 s)
  status                  one line per part: state, pid, ports, readiness, URL
  logs <part> [-n N] [-f] the last N lines (default 80) of a part's log; -f follows it
  provision               topics apply, acls apply, schemas register, then the Keycloak realm (what npm start and npm test do after up)
  topics apply            create the topics of infra/topics/topics.json and set their declared config
  topics check            exit 1 when a topic is missing or differs from its declaration
  acls apply              make the broker's ACLs exactly those of infra/topics/acls.json (as admin)
  acls check              exit 1 naming each missing or unexpected ACL binding
  schemas register        register every event schema (subject = record name) under FULL_TRANSITIVE
  schemas check           exit 1 naming each schema the registry would refuse, and why
  parties generate        write topics.json, acls.json and docker-compose.yml's party regions from schemas/parties.json
  parties check           exit 1 naming each of those files that differs from what schemas/parties.json generates

parts: ${PARTS.map((p) => p.name).join(', ')}`;

const log = (message: string): void => console.log(`[infra] ${message}`);

function partsFrom(args: readonly string[]): PartName[] {
  return args.length === 0 ? PARTS.map((p) => p.name) : args.map((arg) => partNamed(arg).name);
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadStackConfig();
  switch (command) {
    case 'up': {
      const result = await up(config, log, partsFrom(rest));
      log(`stack ready in ${(result.millis / 1000).toFixed(1)} s`);
      for (const s of await status(config)) if (s.state === 'running') log(`  ${s.name.padEnd(9)} ${s.url}`);
      return 0;
    }
    case 'down':
      await down(config, log, partsFrom(rest));
      return 0;
    case 'status': {
      const rows = await status(config);
      for (const row of rows) {
        const state = row.state === 'running' ? (row.ready ? 'ready' : 'starting') : row.state;
        console.log(
          `${row.name.padEnd(9)} ${state.padEnd(9)} pid ${String(row.pid ?? '-').padEnd(8)} ports ${row.ports.join(',').padEnd(11)} ${row.url}`,
        );
      }
      return rows.every((row) => row.ready) ? 0 : 3;
    }
    case 'logs': {
      const [name, ...flags] = rest;
      if (!name) {
        console.error(USAGE);
        return 2;
      }
      const file = logFileOf(config, partNamed(name).name);
      const nIndex = flags.indexOf('-n');
      const lines = nIndex >= 0 ? Number(flags[nIndex + 1]) : 80;
      if (!Number.isInteger(lines) || lines <= 0) {
        console.error('logs: -n takes a positive whole number');
        return 2;
      }
      if (flags.includes('-f')) {
        if (!fs.existsSync(file)) fs.writeFileSync(file, '');
        const tail = spawn('tail', ['-n', String(lines), '-F', file], { stdio: 'inherit' });
        return new Promise((resolve) => tail.on('exit', (code) => resolve(code ?? 0)));
      }
      console.log(tailFile(file, lines));
      return 0;
    }
    case 'provision':
      return provisionCommand(config, log);
    case 'topics':
      return topicsCommand(rest[0], config, log);
    case 'acls':
      return aclsCommand(rest[0], adminConnectionOf(endpointsOf(config)), log);
    case 'schemas':
      return schemasCommand(rest[0], config, log);
    case 'parties':
      return partiesCommand(rest[0], log);
    default:
      console.error(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof StackError || error instanceof ConfigError || error instanceof ContractError) {
      console.error(`[infra] ${error.message}`);
      if (error instanceof StackError && error.hint) console.error(`[infra] how to fix:\n${error.hint}`);
    } else {
      console.error('[infra] unexpected failure:', error);
    }
    process.exitCode = 1;
  },
);
