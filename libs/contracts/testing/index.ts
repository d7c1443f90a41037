export {
  sampleEvents,
  sampleEnvelope,
  samplePseudonym,
  sampleReferralCreated,
  sampleReferralStatusChanged,
  sampleMilestone,
  sampleServiceGapReported,
  sampleServiceGapResolved,
} from './sample-events.ts';
export type { SampleBody } from './sample-events.ts';
export { InMemoryRegistry } from './in-memory-registry.ts';
export { TEST_KEY_ENCRYPTION_KEY_HEX, testKeyEncryptionKey } from './key-encryption-key.ts';
export { partiesWith, readPartyFixture } from './parties.ts';
