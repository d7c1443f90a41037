import { describe, expect, it } from 'vitest';
import {
  AclDeclarationError,
  bindingKey,
  diffAcls,
  describeAclDrift,
  hasAclDrift,
  loadAclDeclarations,
  parseAclDeclarations,
  type AclBinding,
} from './acls.ts';

const binding = (principal: string, resourceType: string, patternType: string, resourceName: string, operation: string): AclBinding => ({
  principal: `User:${principal}`,
  resourceType,
  patternType,
  resourceName,
  operation,
  permission: 'ALLOW',
  host: '*',
});

function problemsOf(value: unknown): readonly string[] {
  try {
    parseAclDeclarations(value);
  } catch (error) {
    if (error instanceof AclDeclarationError) return error.problems;
    throw error;
  }
  throw new Error('expected the declaration to be refused');
}

const declaration = (principal: string, allow: unknown[]) => ({ principals: [{ principal, allow }] });

describe('the declared ACLs (infra/topics/acls.json)', () => {
  const declared = loadAclDeclarations();
  const keys = new Set(declared.map(bindingKey));
  const ministries = ['justice', 'child-welfare', 'health', 'education', 'coordination-office'];

  it('lets each ministry write and describe its own prefix only, with idempotent writes, and read nothing', () => {
    for (const ministry of ministries) {
      const own = declared.filter((b) => b.principal === `User:${ministry}`);
      expect(own.map((b) => [b.resourceType, b.patternType, b.resourceName, b.operation]).sort()).toEqual(
        [
          ['CLUSTER', 'LITERAL', 'kafka-cluster', 'IDEMPOTENT_WRITE'],
          ['TOPIC', 'PREFIXED', `${ministry}.`, 'DESCRIBE'],
          ['TOPIC', 'PREFIXED', `${ministry}.`, 'WRITE'],
        ].sort(),
      );
    }
  });

  it('lets the projector read every ministry prefix, write the dead-letter topic and use its own groups', () => {
    for (const ministry of ministries) {
      expect(keys.has(bindingKey(binding('projector', 'TOPIC', 'PREFIXED', `${ministry}.`, 'READ')))).toBe(true);
      expect(keys.has(bindingKey(binding('projector', 'TOPIC', 'PREFIXED', `${ministry}.`, 'WRITE')))).toBe(false);
    }
    expect(keys.has(bindingKey(binding('projector', 'TOPIC', 'LITERAL', 'passerelle.dead-letter.v1', 'WRITE')))).toBe(true);
    expect(keys.has(bindingKey(binding('projector', 'GROUP', 'PREFIXED', 'passerelle-projector', 'READ')))).toBe(true);
  });

  it('grants nobody CREATE, ALTER or ALL, and DELETE on consumer groups only', () => {
    expect(declared.filter((b) => ['CREATE', 'ALTER', 'ALTER_CONFIGS', 'ALL'].includes(b.operation))).toEqual([]);
    expect(declared.filter((b) => b.operation === 'DELETE' && b.resourceType !== 'GROUP')).toEqual([]);
    expect(declared.some((b) => b.principal === 'User:admin')).toBe(false);
  });
});

describe('parseAclDeclarations', () => {
  it('refuses a ministry granted another ministry prefix', () => {
    expect(
      problemsOf(declaration('justice', [{ resourceType: 'TOPIC', patternType: 'PREFIXED', name: 'health.', operations: ['WRITE'] }])),
    ).toEqual(['justice.allow[0]: justice may only be granted topics under its own prefix "justice."']);
  });

  it('refuses a ministry that reads, or uses a consumer group', () => {
    expect(
      problemsOf(declaration('health', [{ resourceType: 'TOPIC', patternType: 'PREFIXED', name: 'health.', operations: ['READ'] }])),
    ).toEqual(['health.allow[0]: a ministry principal reads nothing']);
    expect(
      problemsOf(declaration('health', [{ resourceType: 'GROUP', patternType: 'LITERAL', name: 'g', operations: ['DESCRIBE'] }])),
    ).toEqual(['health.allow[0]: a ministry principal uses no consumer group']);
  });

  it('refuses CREATE, ALTER and ALL for anyone, DELETE outside groups, and any binding for admin', () => {
    const problems = problemsOf({
      principals: [
        {
          principal: 'projector',
          allow: [
            { resourceType: 'TOPIC', patternType: 'LITERAL', name: 'passerelle.dead-letter.v1', operations: ['CREATE', 'DELETE', 'ALL'] },
          ],
        },
        { principal: 'admin', allow: [] },
      ],
    });
    expect(problems).toEqual([
      'projector.allow[0]: operation "CREATE" is not grantable (one of READ, WRITE, DESCRIBE, DELETE, IDEMPOTENT_WRITE, DESCRIBE_CONFIGS; CREATE, ALTER and ALL stay with admin)',
      'projector.allow[0]: DELETE is granted on consumer groups only',
      'projector.allow[0]: operation "ALL" is not grantable (one of READ, WRITE, DESCRIBE, DELETE, IDEMPOTENT_WRITE, DESCRIBE_CONFIGS; CREATE, ALTER and ALL stay with admin)',
      'admin is a super user of the broker: declare no binding for it',
    ]);
  });

  it('refuses unknown principals, wildcards, a misnamed cluster and duplicates', () => {
    const problems = problemsOf({
      principals: [
        { principal: 'mallory', allow: [] },
        { principal: 'projector', allow: [{ resourceType: 'TOPIC', patternType: 'LITERAL', name: '*', operations: ['READ'] }] },
        {
          principal: 'education',
          allow: [{ resourceType: 'CLUSTER', patternType: 'LITERAL', name: 'cluster', operations: ['IDEMPOTENT_WRITE'] }],
        },
        { principal: 'projector', allow: [] },
      ],
    });
    expect(problems).toEqual([
      'mallory: principal must be one of justice, child-welfare, health, education, coordination-office, projector',
      'projector.allow[0]: name must be a non-empty resource name (no wildcard)',
      'education.allow[0]: the cluster resource is LITERAL kafka-cluster',
      'projector: declared more than once',
    ]);
  });

  it('expands each operation into one ALLOW binding from any host', () => {
    expect(
      parseAclDeclarations(
        declaration('education', [
          { resourceType: 'TOPIC', patternType: 'PREFIXED', name: 'education.', operations: ['WRITE', 'DESCRIBE'] },
        ]),
      ),
    ).toEqual([
      binding('education', 'TOPIC', 'PREFIXED', 'education.', 'WRITE'),
      binding('education', 'TOPIC', 'PREFIXED', 'education.', 'DESCRIBE'),
    ]);
  });
});

describe('diffAcls', () => {
  const write = binding('justice', 'TOPIC', 'PREFIXED', 'justice.', 'WRITE');
  const describeTopic = binding('justice', 'TOPIC', 'PREFIXED', 'justice.', 'DESCRIBE');

  it('finds nothing when the broker holds exactly the declared bindings, in any order', () => {
    const drift = diffAcls([write, describeTopic], [describeTopic, write]);
    expect(drift).toEqual({ missing: [], unexpected: [] });
    expect(hasAclDrift(drift)).toBe(false);
  });

  it('reports declared bindings the broker lacks and bindings nobody declared', () => {
    const extra = binding('justice', 'TOPIC', 'PREFIXED', 'health.', 'WRITE');
    const drift = diffAcls([write, describeTopic], [write, extra]);
    expect(drift).toEqual({ missing: [describeTopic], unexpected: [extra] });
    expect(hasAclDrift(drift)).toBe(true);
    expect(describeAclDrift(drift)).toEqual([
      'missing: ALLOW User:justice DESCRIBE on topic justice.*',
      'unexpected: ALLOW User:justice WRITE on topic health.*',
    ]);
  });

  it('tells apart what differs only by pattern type, permission or host', () => {
    const literal = { ...write, patternType: 'LITERAL' };
    const deny = { ...write, permission: 'DENY' };
    const fromHost = { ...write, host: '10.0.0.7' };
    expect(diffAcls([write], [literal, deny, fromHost])).toEqual({ missing: [write], unexpected: [literal, deny, fromHost] });
  });
});
