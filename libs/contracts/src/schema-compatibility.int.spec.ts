import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SCHEMAS_ROOT, type AvroType } from '@passerelle/schemas';
import { uniqueName } from '@passerelle/testing';
import { IncompatibleSchemaError } from './errors.ts';
import { RegistryClient } from './registry-client.ts';
import { checkCompatibility, registerSchema } from './schema-registration.ts';

const stack = inject('stack');
const client = new RegistryClient({ url: stack.registryUrl });
const subject = uniqueName('test-compat.ca.on.passerelle.fixtures.compat.GapClosure');
const fixture = (file: string): AvroType =>
  JSON.parse(fs.readFileSync(path.join(SCHEMAS_ROOT, 'fixtures', 'compat', file), 'utf8')) as AvroType;

beforeAll(async () => {
  await registerSchema(client, subject, fixture('v1.avsc'));
});

afterAll(async () => {
  await client.deleteSubject(subject);
});

describe('the compatibility check against the real registry (FULL_TRANSITIVE)', () => {
  it('accepts a next version that adds an optional field with a default', async () => {
    const report = await checkCompatibility(client, subject, fixture('next-adds-optional-field.avsc'));
    expect(report).toEqual({ subject, status: 'compatible', reasons: [], warnings: [] });
  });

  it('rejects a next version that removes a field, saying which and why', async () => {
    const report = await checkCompatibility(client, subject, fixture('next-removes-field.avsc'));
    expect(report.status).toBe('incompatible');
    expect(report.reasons).toEqual([
      'GapClosure.servicesAdded: field was removed, and the old version declares it without a default (consumers on version 1 cannot read data written with the new schema)',
    ]);
  });

  it('rejects a next version that renames a field without an alias, naming both names', async () => {
    const report = await checkCompatibility(client, subject, fixture('next-renames-field-without-alias.avsc'));
    expect(report.status).toBe('incompatible');
    expect(report.reasons).toEqual([expect.stringContaining('field servicesAdded was renamed to servicesOpened without an alias')]);
  });

  it('rejects a next version that changes a field type, naming the old and new types', async () => {
    const report = await checkCompatibility(client, subject, fixture('next-changes-field-type.avsc'));
    expect(report.status).toBe('incompatible');
    expect(report.reasons).toEqual([expect.stringContaining('GapClosure.servicesAdded: type changed from int to string')]);
  });

  it('reports the unchanged schema as unchanged and an unknown subject as new', async () => {
    expect((await checkCompatibility(client, subject, fixture('v1.avsc'))).status).toBe('unchanged');
    expect((await checkCompatibility(client, uniqueName('test-compat-new'), fixture('v1.avsc'))).status).toBe('new-subject');
  });

  it('has the registry refuse to register a breaking version, with the reasons in the error', async () => {
    let failure: unknown;
    try {
      await registerSchema(client, subject, fixture('next-removes-field.avsc'));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(IncompatibleSchemaError);
    expect((failure as IncompatibleSchemaError).reasons[0]).toContain('GapClosure.servicesAdded: field was removed');
    expect(await client.versionsOf(subject)).toEqual([1]);
  });

  it('flags a subject whose compatibility level was loosened, even for a compatible change', async () => {
    const loose = uniqueName('test-compat-loose');
    await registerSchema(client, loose, fixture('v1.avsc'));
    await client.setCompatibility(loose, 'NONE');
    try {
      const report = await checkCompatibility(client, loose, fixture('next-adds-optional-field.avsc'));
      expect(report.status).toBe('incompatible');
      expect(report.reasons).toEqual(['compatibility level is NONE, expected FULL_TRANSITIVE (run `npm run infra -- schemas register`)']);
    } finally {
      await client.deleteSubject(loose);
    }
  });
});
