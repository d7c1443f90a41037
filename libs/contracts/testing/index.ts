export { sampleEvents, sampleEnvelope, samplePseudonym } from './sample-events.ts';
export { InMemoryRegistry } from './in-memory-registry.ts';
