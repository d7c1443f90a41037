/** Test and benchmark support of the projector, for other packages (`@passerelle/projector/testing`). */
export { generateScenario } from './scenario-generator.ts';
export type { ScenarioOptions } from './scenario-generator.ts';
