import path from 'node:path';
import { checkAll, registerAll, RegistryClient } from '@passerelle/contracts';
import { ACLS_FILE, applyAcls, checkAcls, describeAclDrift, hasAclDrift } from './acls.ts';
import { adminConnectionOf, endpointsOf, REPO_ROOT, type StackConfig } from './config.ts';
import type { KafkaConnection } from './kafka-credentials.ts';
import { provision } from './provision.ts';
import { applyTopics, checkTopics, describeDrift, TOPICS_FILE } from './topics.ts';

const declarationFile = path.relative(REPO_ROOT, TOPICS_FILE);

type Print = (message: string) => void;

/** `schemas register` and `schemas check`; returns the exit code. */
export async function schemasCommand(sub: string | undefined, config: StackConfig, log: Print): Promise<number> {
  const client = new RegistryClient({ url: endpointsOf(config).registryUrl });
  switch (sub) {
    case 'register':
      await registerAll(client, { log });
      return 0;
    case 'check': {
      const reports = await checkAll(client);
      for (const report of reports) {
        log(`${report.subject}: ${report.status}`);
        for (const reason of report.reasons) log(`  ✗ ${reason}`);
        for (const warning of report.warnings) log(`  ! ${warning}`);
      }
      const failed = reports.filter((r) => r.status === 'incompatible');
      if (failed.length > 0)
        log(`${failed.length} of ${reports.length} schemas cannot be registered: ${failed.map((r) => r.subject).join(', ')}`);
      else log(`all ${reports.length} event schemas can be registered under FULL_TRANSITIVE`);
      return failed.length > 0 ? 1 : 0;
    }
    default:
      log('usage: npm run infra -- schemas register|check');
      return 2;
  }
}

/** `topics apply` and `topics check`; returns the exit code. */
export async function topicsCommand(sub: string | undefined, config: StackConfig, log: Print): Promise<number> {
  const connection = adminConnectionOf(endpointsOf(config));
  switch (sub) {
    case 'apply': {
      const result = await applyTopics(connection, undefined, log);
      for (const drift of result.drift) log(`drift left: ${describeDrift(drift)}`);
      if (result.created.length + result.reconfigured.length === 0 && result.drift.length === 0)
        log('every declared topic exists and matches');
      return result.drift.length > 0 ? 1 : 0;
    }
    case 'check': {
      const drift = await checkTopics(connection);
      for (const d of drift) log(`drift: ${describeDrift(d)}`);
      log(
        drift.length === 0
          ? `every topic of ${declarationFile} exists and matches its declaration`
          : `${drift.length} differences from ${declarationFile}`,
      );
      return drift.length > 0 ? 1 : 0;
    }
    default:
      log('usage: npm run infra -- topics apply|check');
      return 2;
  }
}

/** `acls apply` and `acls check` as admin over `connection`; returns the exit code (1 on drift). */
export async function aclsCommand(sub: string | undefined, connection: KafkaConnection, log: Print): Promise<number> {
  const aclsFile = path.relative(REPO_ROOT, ACLS_FILE);
  switch (sub) {
    case 'apply': {
      const result = await applyAcls(connection, undefined, log);
      for (const line of describeAclDrift(result.drift)) log(`drift left: ${line}`);
      if (result.created.length + result.deleted.length === 0 && !hasAclDrift(result.drift))
        log(`the broker's ACLs are exactly those of ${aclsFile}`);
      else log(`acls: ${result.created.length} added, ${result.deleted.length} removed`);
      return hasAclDrift(result.drift) ? 1 : 0;
    }
    case 'check': {
      const drift = await checkAcls(connection);
      for (const line of describeAclDrift(drift)) log(`drift: ${line}`);
      const count = drift.missing.length + drift.unexpected.length;
      log(
        count === 0
          ? `the broker's ACLs are exactly those of ${aclsFile}`
          : `${drift.missing.length} missing and ${drift.unexpected.length} unexpected bindings compared with ${aclsFile}`,
      );
      return count > 0 ? 1 : 0;
    }
    default:
      log('usage: npm run infra -- acls apply|check');
      return 2;
  }
}

/** `provision`: topics, ACLs, then schemas. */
export async function provisionCommand(config: StackConfig, log: Print): Promise<number> {
  await provision(config, log);
  return 0;
}
