import { describe, expect, it } from 'vitest';
import {
  CONSENT_SCOPE_SYMBOLS,
  MINISTRY_SYMBOLS,
  RECEIVING_SERVICE_TYPE_SYMBOLS,
  REFERRAL_STATUS_REASON_SYMBOLS,
  REGION_SYMBOLS,
  SERVICE_CATEGORY_SYMBOLS,
} from '@passerelle/schemas/generated';
import { fixedMappingContext } from '@passerelle/adapter/testing';
import { CODE_SYSTEMS, EXTENSIONS, fhirCodeOf } from './fhir-codes.ts';
import { CONFORMANCE_RESOURCES } from './fhir-conformance.ts';
import { mapServiceRequest } from './fhir-referral.mapper.ts';
import { serviceRequestSchema, taskSchema } from './fhir-resources.schema.ts';

const codeSystem = (url: string) => {
  const found = [...CONFORMANCE_RESOURCES.CodeSystem.values()].find((resource) => resource.url === url);
  if (!found) throw new Error(`no CodeSystem ${url}`);
  return found;
};
const codesOf = (url: string): string[] => (codeSystem(url).concept ?? []).map((concept) => concept.code);
/** The canonical enum's symbols as FHIR codes, UNKNOWN left out: what the mapper turns into events. */
const canonical = (symbols: readonly string[]): string[] => symbols.filter((s) => s !== 'UNKNOWN').map(fhirCodeOf);

const region = { url: EXTENSIONS.region, valueCode: 'central' };
const serviceRequest = (extra: Record<string, unknown>) => ({
  resourceType: 'ServiceRequest',
  id: 'sr-1',
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p-1' },
  extension: [region],
  ...extra,
});
const coded = (system: string, code: string) => ({ coding: [{ system, code }] });

describe('the published code systems are the mapper’s own lists', () => {
  it('hold exactly the canonical enums’ codes', () => {
    expect(codesOf(CODE_SYSTEMS.serviceCategory)).toEqual(canonical(SERVICE_CATEGORY_SYMBOLS));
    expect(codesOf(CODE_SYSTEMS.receivingServiceType)).toEqual(canonical(RECEIVING_SERVICE_TYPE_SYMBOLS));
    expect(codesOf(CODE_SYSTEMS.statusReason)).toEqual(canonical(REFERRAL_STATUS_REASON_SYMBOLS));
    expect(codesOf(CODE_SYSTEMS.region)).toEqual(canonical(REGION_SYMBOLS));
    expect(codesOf(CODE_SYSTEMS.consentScope)).toEqual(canonical(CONSENT_SCOPE_SYMBOLS));
    expect(codesOf(CODE_SYSTEMS.ministry)).toEqual(canonical(MINISTRY_SYMBOLS));
  });

  it('accept every published code where the mapper reads it, and refuse a code they do not list', () => {
    const accepts = (system: string, code: string): boolean => {
      const concept = coded(system, code);
      if (system === CODE_SYSTEMS.statusReason)
        return taskSchema.safeParse({
          resourceType: 'Task',
          id: 't-1',
          status: 'rejected',
          intent: 'order',
          focus: { reference: 'ServiceRequest/sr-1' },
          statusReason: concept,
        }).success;
      const element =
        system === CODE_SYSTEMS.serviceCategory
          ? { category: [concept] }
          : system === CODE_SYSTEMS.receivingServiceType
            ? { performerType: concept }
            : system === CODE_SYSTEMS.atRiskGroup
              ? { reasonCode: [concept] }
              : {
                  extension: [
                    ...(system === CODE_SYSTEMS.region ? [] : [region]),
                    {
                      url:
                        system === CODE_SYSTEMS.region
                          ? EXTENSIONS.region
                          : system === CODE_SYSTEMS.consentScope
                            ? EXTENSIONS.consentScope
                            : EXTENSIONS.receivingMinistry,
                      valueCode: code,
                    },
                  ],
                };
      return serviceRequestSchema.safeParse(serviceRequest(element)).success;
    };
    const published = [...CONFORMANCE_RESOURCES.CodeSystem.values()];
    expect(published.map((resource) => resource.url).sort()).toEqual(Object.values(CODE_SYSTEMS).sort());
    for (const resource of published) {
      const codes = (resource.concept ?? []).map((concept) => concept.code);
      expect(codes.length, resource.url).toBeGreaterThan(0);
      for (const code of codes) expect(accepts(resource.url ?? '', code), `${resource.url} ${code}`).toBe(true);
      expect(accepts(resource.url ?? '', 'not-a-code'), resource.url).toBe(false);
      expect(accepts(resource.url ?? '', 'unknown'), resource.url).toBe(false);
    }
  });

  it('sets one population flag per at-risk group, and the code system lists every flag', () => {
    const groups = codesOf(CODE_SYSTEMS.atRiskGroup);
    const flagsSet = groups.map((code) => {
      const request = serviceRequestSchema.parse(serviceRequest({ reasonCode: [coded(CODE_SYSTEMS.atRiskGroup, code)] }));
      const event = mapServiceRequest(
        request,
        { referralId: '00000000-0000-4000-8000-000000000000', subjectPseudonym: 'p' },
        fixedMappingContext('HEALTH'),
      );
      return Object.entries(event.populationFlags)
        .filter(([, value]) => value === true)
        .map(([flag]) => flag);
    });
    expect(flagsSet.every((flags) => flags.length === 1)).toBe(true);
    const allFlags = mapServiceRequest(
      serviceRequestSchema.parse(serviceRequest({})),
      { referralId: '00000000-0000-4000-8000-000000000000', subjectPseudonym: 'p' },
      fixedMappingContext('HEALTH'),
    ).populationFlags;
    expect(new Set(flagsSet.flat())).toEqual(new Set(Object.keys(allFlags)));
  });
});

describe('the published conformance resources', () => {
  it('are FHIR R4 resources with their required elements, each ValueSet including its CodeSystem', () => {
    for (const [id, resource] of CONFORMANCE_RESOURCES.CodeSystem) {
      expect(resource).toMatchObject({ id, status: 'active', content: 'complete', caseSensitive: true });
      expect(resource.url).toMatch(new RegExp(`/fhir/CodeSystem/${id}$`));
      expect(resource.count).toBe(resource.concept?.length);
      const valueSet = CONFORMANCE_RESOURCES.ValueSet.get(id);
      expect(valueSet?.url).toBe(resource.valueSet);
      expect(valueSet?.compose?.include).toEqual([{ system: resource.url }]);
      expect(valueSet?.status).toBe('active');
    }
  });

  it('give each extension a StructureDefinition whose code is bound to a published ValueSet', () => {
    expect([...CONFORMANCE_RESOURCES.StructureDefinition.values()].map((sd) => sd.url).sort()).toEqual(Object.values(EXTENSIONS).sort());
    const valueSets = new Set([...CONFORMANCE_RESOURCES.ValueSet.values()].map((vs) => vs.url));
    for (const [id, sd] of CONFORMANCE_RESOURCES.StructureDefinition) {
      expect(sd).toMatchObject({
        id,
        status: 'active',
        kind: 'complex-type',
        abstract: false,
        type: 'Extension',
        fhirVersion: '4.0.1',
        derivation: 'constraint',
      });
      expect(sd.name).toMatch(/^[A-Z][A-Za-z0-9_]{0,254}$/);
      const value = sd.differential?.element.find((element) => element.path === 'Extension.value[x]');
      expect(value?.type).toEqual([{ code: 'code' }]);
      expect(value?.binding?.strength).toBe('required');
      expect(valueSets.has(value?.binding?.valueSet)).toBe(true);
      expect(sd.differential?.element.find((element) => element.path === 'Extension.url')?.fixedUri).toBe(sd.url);
    }
  });
});
