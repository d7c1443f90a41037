export { stackFromEnvironment } from './stack-endpoints.ts';
export type { TestStack } from './stack-endpoints.ts';
export { createTestDatabase, uniqueName, uniqueSuffix } from './test-resources.ts';
export type { TestDatabase } from './test-resources.ts';
