import fs from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { REPO_ROOT } from './config.ts';
import { StackError } from './errors.ts';
import { PARTIES, type Party } from '@passerelle/contracts';
import { kafkaPrincipals, type KafkaConnection } from './kafka-credentials.ts';
import { withAdmin } from './topics.ts';

export const ACLS_FILE = path.join(REPO_ROOT, 'infra', 'topics', 'acls.json');

export const ACL_RESOURCE_TYPES = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'] as const;
export type AclResourceType = (typeof ACL_RESOURCE_TYPES)[number];
export const ACL_PATTERN_TYPES = ['LITERAL', 'PREFIXED'] as const;
export type AclPatternType = (typeof ACL_PATTERN_TYPES)[number];
/** The operations a declaration may grant. CREATE, ALTER, ALTER_CONFIGS and ALL stay with admin. */
export const ACL_OPERATIONS = ['READ', 'WRITE', 'DESCRIBE', 'DELETE', 'IDEMPOTENT_WRITE', 'DESCRIBE_CONFIGS'] as const;
export type AclOperation = (typeof ACL_OPERATIONS)[number];

/** The one cluster resource name Kafka knows. */
export const CLUSTER_RESOURCE = 'kafka-cluster';

/** One ALLOW binding: the unit `acls check` compares. Hosts are always `*`. */
export interface AclBinding {
  readonly principal: string;
  readonly resourceType: AclResourceType | string;
  readonly patternType: AclPatternType | string;
  readonly resourceName: string;
  readonly operation: AclOperation | string;
  readonly permission: 'ALLOW' | 'DENY' | string;
  readonly host: string;
}

export interface AclDrift {
  readonly missing: readonly AclBinding[];
  readonly unexpected: readonly AclBinding[];
}

export class AclDeclarationError extends StackError {
  constructor(readonly problems: readonly string[]) {
    super(
      'INVALID_ACL_DECLARATION',
      `invalid ACL declaration:\n  - ${problems.join('\n  - ')}`,
      `fix ${path.relative(REPO_ROOT, ACLS_FILE)}`,
    );
    this.name = 'AclDeclarationError';
  }
}

export class AclDriftError extends StackError {
  constructor(readonly drift: AclDrift) {
    super(
      'ACL_DRIFT',
      `Kafka ACLs differ from ${path.relative(REPO_ROOT, ACLS_FILE)}:\n  - ${describeAclDrift(drift).join('\n  - ')}`,
      'run `npm run infra -- acls apply`',
    );
    this.name = 'AclDriftError';
  }
}

export function describeBinding(binding: AclBinding): string {
  const pattern = binding.patternType === 'PREFIXED' ? `${binding.resourceName}*` : binding.resourceName;
  const host = binding.host === '*' ? '' : ` from ${binding.host}`;
  return `${binding.permission} ${binding.principal} ${binding.operation} on ${binding.resourceType.toLowerCase()} ${pattern}${host}`;
}

export function describeAclDrift(drift: AclDrift): string[] {
  return [
    ...drift.missing.map((b) => `missing: ${describeBinding(b)}`),
    ...drift.unexpected.map((b) => `unexpected: ${describeBinding(b)}`),
  ];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isOneOf = <T extends string>(value: unknown, allowed: readonly T[]): value is T =>
  typeof value === 'string' && (allowed as readonly string[]).includes(value);

/**
 * Validates the declaration and expands it into bindings. Beyond shape, it enforces the
 * access model: a ministry principal writes topics of its own prefix only and reads nothing;
 * nobody is granted CREATE, ALTER or ALL (admin, a super user, keeps those), and DELETE is
 * granted on consumer groups only, never on topics or the cluster.
 */
export function parseAclDeclarations(value: unknown, parties: readonly Party[] = PARTIES): AclBinding[] {
  if (!isObject(value) || !Array.isArray(value['principals']))
    throw new AclDeclarationError(['the file must be an object with a "principals" array']);
  const problems: string[] = [];
  const bindings: AclBinding[] = [];
  const seen = new Set<string>();
  const grantable = kafkaPrincipals(parties).filter((name) => name !== 'admin');
  for (const [i, entry] of (value['principals'] as unknown[]).entries()) {
    const where = isObject(entry) && typeof entry['principal'] === 'string' ? entry['principal'] : `principals[${i}]`;
    if (!isObject(entry)) {
      problems.push(`${where} must be an object`);
      continue;
    }
    for (const key of Object.keys(entry)) if (!['principal', 'allow'].includes(key)) problems.push(`${where}: unknown key "${key}"`);
    const principal = entry['principal'];
    if (principal === 'admin') problems.push('admin is a super user of the broker: declare no binding for it');
    else if (!isOneOf(principal, grantable)) problems.push(`${where}: principal must be one of ${grantable.join(', ')}`);
    else if (seen.has(principal)) problems.push(`${where}: declared more than once`);
    if (typeof principal === 'string') seen.add(principal);
    const ministry = parties.find((party) => party.kafkaPrincipal === principal);
    if (!Array.isArray(entry['allow'])) {
      problems.push(`${where}: allow must be an array`);
      continue;
    }
    for (const [j, grant] of (entry['allow'] as unknown[]).entries()) {
      const at = `${where}.allow[${j}]`;
      if (!isObject(grant)) {
        problems.push(`${at} must be an object`);
        continue;
      }
      for (const key of Object.keys(grant))
        if (!['resourceType', 'patternType', 'name', 'operations'].includes(key)) problems.push(`${at}: unknown key "${key}"`);
      const { resourceType, patternType, name, operations } = grant;
      if (!isOneOf(resourceType, ACL_RESOURCE_TYPES)) problems.push(`${at}: resourceType must be one of ${ACL_RESOURCE_TYPES.join(', ')}`);
      if (!isOneOf(patternType, ACL_PATTERN_TYPES)) problems.push(`${at}: patternType must be one of ${ACL_PATTERN_TYPES.join(', ')}`);
      if (typeof name !== 'string' || name === '' || name === '*')
        problems.push(`${at}: name must be a non-empty resource name (no wildcard)`);
      if (resourceType === 'CLUSTER' && (name !== CLUSTER_RESOURCE || patternType !== 'LITERAL'))
        problems.push(`${at}: the cluster resource is LITERAL ${CLUSTER_RESOURCE}`);
      if (!Array.isArray(operations) || operations.length === 0) {
        problems.push(`${at}: operations must be a non-empty array`);
        continue;
      }
      for (const operation of operations as unknown[]) {
        if (!isOneOf(operation, ACL_OPERATIONS)) {
          problems.push(
            `${at}: operation ${JSON.stringify(operation)} is not grantable (one of ${ACL_OPERATIONS.join(', ')}; CREATE, ALTER and ALL stay with admin)`,
          );
          continue;
        }
        if (operation === 'DELETE' && resourceType !== 'GROUP') problems.push(`${at}: DELETE is granted on consumer groups only`);
        if (ministry) {
          if (operation === 'READ') problems.push(`${at}: a ministry principal reads nothing`);
          if (resourceType === 'GROUP') problems.push(`${at}: a ministry principal uses no consumer group`);
          if (resourceType === 'TOPIC' && typeof name === 'string' && !name.startsWith(`${ministry.topicPrefix}.`))
            problems.push(`${at}: ${principal} may only be granted topics under its own prefix "${ministry.topicPrefix}."`);
        }
        if (
          typeof principal === 'string' &&
          typeof name === 'string' &&
          isOneOf(resourceType, ACL_RESOURCE_TYPES) &&
          isOneOf(patternType, ACL_PATTERN_TYPES)
        ) {
          bindings.push({
            principal: `User:${principal}`,
            resourceType,
            patternType,
            resourceName: name,
            operation,
            permission: 'ALLOW',
            host: '*',
          });
        }
      }
    }
  }
  const keys = bindings.map(bindingKey);
  const duplicated = keys.filter((key, index) => keys.indexOf(key) !== index);
  if (duplicated.length > 0) problems.push(`declared more than once: ${[...new Set(duplicated)].join('; ')}`);
  if (problems.length > 0) throw new AclDeclarationError(problems);
  return bindings;
}

export function loadAclDeclarations(file: string = ACLS_FILE, parties: readonly Party[] = PARTIES): AclBinding[] {
  return parseAclDeclarations(JSON.parse(fs.readFileSync(file, 'utf8')), parties);
}

export function bindingKey(binding: AclBinding): string {
  return [
    binding.principal,
    binding.resourceType,
    binding.patternType,
    binding.resourceName,
    binding.operation,
    binding.permission,
    binding.host,
  ].join('|');
}

/** Declared bindings the broker lacks, and the broker's bindings nobody declared. Pure. */
export function diffAcls(declared: readonly AclBinding[], actual: readonly AclBinding[]): AclDrift {
  const actualKeys = new Set(actual.map(bindingKey));
  const declaredKeys = new Set(declared.map(bindingKey));
  return {
    missing: declared.filter((binding) => !actualKeys.has(bindingKey(binding))),
    unexpected: actual.filter((binding) => !declaredKeys.has(bindingKey(binding))),
  };
}

export function hasAclDrift(drift: AclDrift): boolean {
  return drift.missing.length + drift.unexpected.length > 0;
}

const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
type Admin = ReturnType<kafkajs.Kafka['admin']>;

const nameOf = (enumeration: Record<string, string | number>, value: number): string => {
  const found = Object.entries(enumeration).find(([key, v]) => v === value && Number.isNaN(Number(key)));
  return found ? found[0] : `UNKNOWN(${value})`;
};

function toEntry(binding: AclBinding): kafkajs.AclEntry {
  return {
    principal: binding.principal,
    host: binding.host,
    resourceType: AclResourceTypes[binding.resourceType as AclResourceType],
    resourceName: binding.resourceName,
    resourcePatternType: ResourcePatternTypes[binding.patternType as AclPatternType],
    operation: AclOperationTypes[binding.operation as AclOperation],
    permissionType: binding.permission === 'DENY' ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
  };
}

/** Every binding the broker holds (all principals, resources and patterns). */
export async function describeAllAcls(admin: Admin): Promise<AclBinding[]> {
  const response = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  return response.resources.flatMap((resource) =>
    resource.acls.map((acl) => ({
      principal: acl.principal,
      resourceType: nameOf(AclResourceTypes as never, resource.resourceType),
      patternType: nameOf(ResourcePatternTypes as never, resource.resourcePatternType),
      resourceName: resource.resourceName,
      operation: nameOf(AclOperationTypes as never, acl.operation),
      permission: nameOf(AclPermissionTypes as never, acl.permissionType),
      host: acl.host,
    })),
  );
}

/** Drift between the declaration and the broker; empty lists when they match. */
export async function checkAcls(connection: KafkaConnection, declared: readonly AclBinding[] = loadAclDeclarations()): Promise<AclDrift> {
  return withAdmin(connection, async (admin) => diffAcls(declared, await describeAllAcls(admin)), 'passerelle-infra-acls');
}

export interface AclApplyResult {
  readonly created: readonly AclBinding[];
  readonly deleted: readonly AclBinding[];
  /** What is left after applying; empty unless the broker refused a change. */
  readonly drift: AclDrift;
}

/**
 * Makes the broker's bindings exactly the declared ones: creates the missing, deletes the
 * unexpected (exact filters, so nothing declared is touched). Idempotent; as admin.
 */
export async function applyAcls(
  connection: KafkaConnection,
  declared: readonly AclBinding[] = loadAclDeclarations(),
  log: (message: string) => void = () => {},
): Promise<AclApplyResult> {
  return withAdmin(
    connection,
    async (admin) => {
      const before = diffAcls(declared, await describeAllAcls(admin));
      if (before.missing.length > 0) {
        await admin.createAcls({ acl: before.missing.map(toEntry) });
        for (const binding of before.missing) log(`acl added: ${describeBinding(binding)}`);
      }
      if (before.unexpected.length > 0) {
        await admin.deleteAcls({ filters: before.unexpected.map(toEntry) });
        for (const binding of before.unexpected) log(`acl removed: ${describeBinding(binding)}`);
      }
      // The authorizer applies metadata asynchronously: read back until it shows the result.
      let after = diffAcls(declared, await describeAllAcls(admin));
      for (let attempt = 0; hasAclDrift(after) && attempt < 20; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        after = diffAcls(declared, await describeAllAcls(admin));
      }
      return { created: before.missing, deleted: before.unexpected, drift: after };
    },
    'passerelle-infra-acls',
  );
}
