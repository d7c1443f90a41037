// Generated from schemas/avro/milestone-status.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.MilestoneStatus, in schema order. */
export const MILESTONE_STATUS_SYMBOLS = ['UNKNOWN', 'PLANNED', 'STARTED', 'REACHED', 'DELAYED', 'AT_RISK'] as const;

/** Progress of a strategy initiative as its leading ministry reports it. */
export type MilestoneStatus = (typeof MILESTONE_STATUS_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const MILESTONE_STATUS_DEFAULT: MilestoneStatus = 'UNKNOWN';
