import { KeyEncryptionKey } from '../src/sealed-subject.ts';

/** The key-encryption key of every test: a fixed value, for tests only, never a real secret. */
export const TEST_KEY_ENCRYPTION_KEY_HEX = '7e57'.repeat(16);

/** The test key-encryption key, as a service started by a test harness receives it. */
export const testKeyEncryptionKey = (): KeyEncryptionKey => KeyEncryptionKey.fromHex(TEST_KEY_ENCRYPTION_KEY_HEX);
