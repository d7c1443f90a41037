// Generated from schemas/avro/service-category.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.ServiceCategory, in schema order. */
export const SERVICE_CATEGORY_SYMBOLS = ['UNKNOWN', 'HOUSING', 'MENTAL_HEALTH_AND_ADDICTIONS', 'TRAUMA_COUNSELLING', 'EMERGENCY_TRAVEL_AND_SHELTER_FUNDING', 'JOB_AND_LANGUAGE_TRAINING', 'LEGAL_AND_VICTIM_WITNESS_SUPPORT', 'CHILD_PROTECTION', 'EDUCATION_SUPPORT', 'INDIGENOUS_LED_SERVICE', 'OTHER'] as const;

/**
 * The kind of support a referral asks for or a gap concerns, from the community supports the 2016
 * strategy lists (housing, mental health and addictions, emergency travel and shelter funding,
 * trauma counselling, job and language training) plus the justice, child protection, education and
 * Indigenous-led services of the other pillars.
 */
export type ServiceCategory = (typeof SERVICE_CATEGORY_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const SERVICE_CATEGORY_DEFAULT: ServiceCategory = 'UNKNOWN';
