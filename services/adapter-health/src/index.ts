export { healthAdapter, definition, loadConfig, start } from './adapter.ts';
