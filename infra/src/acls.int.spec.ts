import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import kafkajs from 'kafkajs';
import { applyAcls, checkAcls, describeBinding, loadAclDeclarations, type AclBinding } from './acls.ts';
import { adminConnectionOf } from './config.ts';
import { clientAccessOf } from './kafka-credentials.ts';
import { aclsCommand } from './contract-commands.ts';

const stack = inject('stack');
const connection = adminConnectionOf(stack);
const declared = loadAclDeclarations();

// A binding nobody declared, on a topic name nothing uses, so specs running alongside are unaffected.
const extra: AclBinding = {
  principal: 'User:projector',
  resourceType: 'TOPIC',
  patternType: 'LITERAL',
  resourceName: `acl-drift-${randomBytes(4).toString('hex')}`,
  operation: 'DESCRIBE',
  permission: 'ALLOW',
  host: '*',
};

async function addByHand(binding: AclBinding): Promise<void> {
  const kafka = new kafkajs.Kafka({
    clientId: 'acls-int',
    ...clientAccessOf(connection),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({
      acl: [
        {
          principal: binding.principal,
          host: binding.host,
          resourceType: kafkajs.AclResourceTypes.TOPIC,
          resourceName: binding.resourceName,
          resourcePatternType: kafkajs.ResourcePatternTypes.LITERAL,
          operation: kafkajs.AclOperationTypes.DESCRIBE,
          permissionType: kafkajs.AclPermissionTypes.ALLOW,
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

async function waitForDrift(): Promise<Awaited<ReturnType<typeof checkAcls>>> {
  for (let attempt = 0; ; attempt++) {
    const drift = await checkAcls(connection, declared);
    if (drift.unexpected.length > 0 || attempt >= 20) return drift;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(() => {
  expect(connection.sasl, 'the stack must require SASL/SCRAM (its data folder holds kafka-credentials.json)').toBeDefined();
});

describe('ACLs as data on the real broker', () => {
  it('apply leaves exactly the declared bindings, and applying again changes nothing', async () => {
    await applyAcls(connection, declared);
    const again = await applyAcls(connection, declared);
    expect(again.created).toEqual([]);
    expect(again.deleted).toEqual([]);
    expect(again.drift).toEqual({ missing: [], unexpected: [] });
    expect(await checkAcls(connection, declared)).toEqual({ missing: [], unexpected: [] });
  });

  it('check reports a binding added by hand, exits 1, and apply removes it', async () => {
    await addByHand(extra);
    const drift = await waitForDrift();
    expect(drift).toEqual({ missing: [], unexpected: [extra] });

    const lines: string[] = [];
    expect(await aclsCommand('check', connection, (line) => lines.push(line))).toBe(1);
    expect(lines).toContain(`drift: unexpected: ${describeBinding(extra)}`);

    const applied: string[] = [];
    expect(await aclsCommand('apply', connection, (line) => applied.push(line))).toBe(0);
    expect(applied).toContain(`acl removed: ${describeBinding(extra)}`);

    const after: string[] = [];
    expect(await aclsCommand('check', connection, (line) => after.push(line))).toBe(0);
    expect(after).toEqual(["the broker's ACLs are exactly those of infra/topics/acls.json"]);
  });
});
