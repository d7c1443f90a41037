export { BOOKKEEPING_COLUMNS, DERIVED_TABLES, MIGRATIONS_TABLE, POSITION_COLUMNS, TABLE_KEYS, VIEW_TABLE, VIEW_TABLES } from './tables.ts';
export type { ColumnOf, DerivedTable, StoredRow, ViewTable, ViewTableName } from './tables.ts';
export {
  ACCEPTANCE_WEEK_SQL,
  AGGREGATE_DIMENSIONS,
  AGGREGATE_KEY,
  AGGREGATE_MEASURE_AT,
  AGGREGATE_MEASURES,
  acceptanceWeekOf,
  aggregateContributionsSql,
} from './aggregates.ts';
export type { AggregateMeasure, ReferralAggregateRow } from './aggregates.ts';
export { POPULATION_GROUPS } from './rows.ts';
export type {
  AffectedPopulationColumns,
  ConsentPurgeRow,
  DeadLetterRow,
  IllegalTransitionCode,
  IllegalTransitionRow,
  InitiativeProgress,
  InitiativeRow,
  MilestoneRow,
  PopulationColumn,
  PopulationColumns,
  PopulationField,
  ProcessedEventRow,
  ReferralHistoryRow,
  ReferralRow,
  ServiceGapEventRow,
  ServiceGapRow,
  ServiceGapStatus,
  ViewSnapshot,
} from './rows.ts';
export { viewMigrations } from './view.migrations.ts';
// The enumerated columns hold the Avro enums' symbols: the view's readers type them from here.
export type {
  ConsentScope,
  GapSeverity,
  MeasureUnit,
  MilestoneStatus,
  Ministry,
  ReceivingServiceType,
  ReferralStatus,
  ReferralStatusReason,
  Region,
  ServiceCategory,
  ServiceGapCode,
  ServiceGapResolution,
  Urgency,
} from '@passerelle/schemas/generated';
