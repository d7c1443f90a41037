import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSchemaSet, loadSchemaSet, readAvroSources, SCHEMAS_ROOT } from './avro-schema-set.ts';
import { personalDataTermsIn, scanForPersonalData, wordsOf } from './privacy-scan.ts';

const fixture = (file: string) =>
  buildSchemaSet(readAvroSources(path.join(SCHEMAS_ROOT, 'fixtures', 'privacy')).filter((source) => source.file === file));

describe('the personal-data scan of the schemas', () => {
  it('finds no field whose name or doc suggests personal data in schemas/avro', () => {
    expect(scanForPersonalData(loadSchemaSet())).toEqual([]);
  });

  it('catches every kind of personal-data field in the bad fixture, by name or by doc', () => {
    const findings = scanForPersonalData(fixture('personal-data-fields.avsc'));
    const byField = new Map<string, Set<string>>();
    for (const finding of findings) {
      const categories = byField.get(finding.path) ?? new Set<string>();
      categories.add(finding.category);
      byField.set(finding.path, categories);
    }
    expect(Object.fromEntries([...byField].map(([field, categories]) => [field, [...categories].sort()]))).toEqual({
      'PersonalDataFields.clientFirstName': ['name'],
      'PersonalDataFields.dateOfBirth': ['birth date'],
      'PersonalDataFields.homeAddress': ['address'],
      'PersonalDataFields.phoneNumber': ['phone number'],
      'PersonalDataFields.emailContact': ['email'],
      'PersonalDataFields.healthCardNumber': ['health card number'],
      'PersonalDataFields.courtCaseNumber': ['case number'],
      'PersonalDataFields.intakeNotes': ['free-text notes'],
      'PersonalDataFields.contactDetails': ['free-text notes'],
    });
    expect(findings.find((f) => f.path === 'PersonalDataFields.contactDetails')?.in).toBe('doc');
  });

  it('does not flag words that merely contain a flagged word, such as namespace, pseudonym or addressed', () => {
    expect(scanForPersonalData(fixture('look-alike-words.avsc'))).toEqual([]);
  });

  it('splits identifiers into words before matching', () => {
    expect(wordsOf('healthCardNumber')).toEqual(['health', 'card', 'number']);
    expect(wordsOf('OHIPNumber')).toEqual(['ohip', 'number']);
    expect(wordsOf('free-text case_number')).toEqual(['free', 'text', 'case', 'number']);
    expect(personalDataTermsIn('subjectPseudonym namespace renamed')).toEqual([]);
    expect(personalDataTermsIn('the e-mail of the person').map((t) => t.category)).toEqual(['email']);
  });
});
