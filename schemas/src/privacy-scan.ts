import { isRecord, shortNameOf } from './avro-types.ts';
import type { SchemaSet } from './avro-schema-set.ts';

/**
 * Words and phrases that suggest a field could hold personal data. Matched on whole words
 * (camelCase, snake_case and kebab-case are split first), so "namespace", "pseudonym",
 * "renamed" or "addressed" never match "name" or "address".
 */
export const PERSONAL_DATA_TERMS: Readonly<Record<string, readonly string[]>> = {
  name: [
    'name',
    'names',
    'firstname',
    'lastname',
    'surname',
    'surnames',
    'forename',
    'fullname',
    'nickname',
    'middlename',
    'username',
    'maiden',
  ],
  'birth date': ['birth', 'birthdate', 'birthday', 'birthplace', 'dob', 'born'],
  address: ['address', 'addresses', 'street', 'postal', 'postcode', 'zip', 'zipcode', 'residence', 'domicile', 'apartment'],
  'phone number': ['phone', 'phones', 'telephone', 'phonenumber', 'fax', 'mobile'],
  email: ['email', 'emails', 'e mail', 'emailaddress'],
  'health card number': ['health card', 'health number', 'healthcard', 'health insurance number', 'ohip', 'hcn'],
  'case number': ['case number', 'case id', 'case file', 'case no', 'casenumber', 'caseid', 'file number', 'docket'],
  'free-text notes': [
    'note',
    'notes',
    'comment',
    'comments',
    'remark',
    'remarks',
    'narrative',
    'free text',
    'freetext',
    'free form',
    'memo',
  ],
  'government identifier': [
    'social insurance',
    'sin',
    'passport',
    'driver licence',
    'driver license',
    'drivers licence',
    'drivers license',
  ],
};

export interface PersonalDataFinding {
  readonly file: string;
  /** `Record` or `Record.field`. */
  readonly path: string;
  readonly in: 'name' | 'doc';
  readonly category: string;
  readonly term: string;
}

/** Lowercase words of an identifier or a sentence: `healthCardNumber` → health, card, number. */
export function wordsOf(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

/** The terms of PERSONAL_DATA_TERMS that occur in the text as whole words. */
export function personalDataTermsIn(text: string): { category: string; term: string }[] {
  const words = wordsOf(text);
  const found: { category: string; term: string }[] = [];
  for (const [category, terms] of Object.entries(PERSONAL_DATA_TERMS)) {
    for (const term of terms) {
      const phrase = term.split(' ');
      const at = words.findIndex((_, i) => phrase.every((part, j) => words[i + j] === part));
      if (at >= 0) found.push({ category, term });
    }
  }
  return found;
}

/** Every record, enum and field name or doc in the set that suggests personal data. */
export function scanForPersonalData(set: SchemaSet): PersonalDataFinding[] {
  const findings: PersonalDataFinding[] = [];
  const check = (file: string, path: string, name: string, doc: string | undefined): void => {
    for (const hit of personalDataTermsIn(name)) findings.push({ file, path, in: 'name', ...hit });
    if (doc) for (const hit of personalDataTermsIn(doc)) findings.push({ file, path, in: 'doc', ...hit });
  };
  for (const { fullName, file, definition } of set.named.values()) {
    const recordName = shortNameOf(fullName);
    check(file, recordName, recordName, 'doc' in definition ? definition.doc : undefined);
    if (!isRecord(definition)) continue;
    for (const field of definition.fields) check(file, `${recordName}.${field.name}`, field.name, field.doc);
  }
  return findings;
}
