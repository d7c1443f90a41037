export { start, prepareView, openView } from './projector.ts';
export type { RunningProjector, StartOptions, PrepareViewOptions } from './projector.ts';
export { loadConfig, DEFAULT_TOPIC_PATTERN } from './config.ts';
export type { ProjectorConfig } from './config.ts';
export { runRebuild, RebuildInProgressError, RebuildVerificationError } from './entry-points/rebuild.ts';
export type { RebuildReport, RebuildProgress, RebuildOptions } from './entry-points/rebuild.ts';
export { RecordSetStatements, readTableShapes } from './data-access/record-set.ts';
export { RECORD_KEY_MODULUS, recordKeyOf, recordKeyFingerprint, RecordKeySecretChangedError } from './domain/record-key.ts';
