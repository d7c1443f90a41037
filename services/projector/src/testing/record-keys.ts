import { recordKeyerOf } from '../domain/record-key.ts';

/** The record-key secret of every projector test: a fixed value, for tests only, never a real secret. */
export const TEST_RECORD_KEY_SECRET = 'test-only-record-key-secret-never-used-outside-tests';

/** Record keys under the test secret, as a projector started by the test harness computes them. */
export const testRecordKeys = recordKeyerOf(TEST_RECORD_KEY_SECRET);
