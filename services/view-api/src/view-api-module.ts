// What main.ts loads after telemetry started (not the package barrel, which tests import).
export { loadConfig } from './config.ts';
export { start } from './view-api.ts';
