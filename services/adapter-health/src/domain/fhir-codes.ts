/**
 * The FHIR code systems and extensions of Passerelle's referral profile. Health systems code
 * what the canonical events need with these; any other coding is ignored, and text never read.
 */
export const FHIR_BASE = 'https://passerelle.ontario.example/fhir';
export const CODE_SYSTEMS = {
  serviceCategory: `${FHIR_BASE}/CodeSystem/service-category`,
  receivingServiceType: `${FHIR_BASE}/CodeSystem/receiving-service-type`,
  atRiskGroup: `${FHIR_BASE}/CodeSystem/at-risk-group`,
  statusReason: `${FHIR_BASE}/CodeSystem/referral-status-reason`,
  /** The codes of the extensions below (their `valueCode`). */
  region: `${FHIR_BASE}/CodeSystem/service-region`,
  consentScope: `${FHIR_BASE}/CodeSystem/consent-scope`,
  ministry: `${FHIR_BASE}/CodeSystem/ministry`,
} as const;
export const EXTENSIONS = {
  region: `${FHIR_BASE}/StructureDefinition/service-region`,
  consentScope: `${FHIR_BASE}/StructureDefinition/consent-scope`,
  receivingMinistry: `${FHIR_BASE}/StructureDefinition/receiving-ministry`,
} as const;
/** Ontario health card numbers (the subject's identifier when the system sends one). */
export const ONTARIO_HCN_SYSTEM = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-on-patient-hcn';
/** A Passerelle referralId given to health for a referral another ministry made. */
export const PASSERELLE_REFERRAL_ID_SYSTEM = `${FHIR_BASE}/NamingSystem/referral-id`;

/** FHIR codes are kebab-case: MENTAL_HEALTH_AND_ADDICTIONS ↔ mental-health-and-addictions. */
export function fhirCodeOf(symbol: string): string {
  return symbol.toLowerCase().replace(/_/g, '-');
}

/** The code → symbol table of a canonical enum, UNKNOWN left out. */
export function codeTable<S extends string>(symbols: readonly S[]): ReadonlyMap<string, Exclude<S, 'UNKNOWN'>> {
  return new Map(symbols.filter((s) => s !== 'UNKNOWN').map((s) => [fhirCodeOf(s), s as Exclude<S, 'UNKNOWN'>]));
}
