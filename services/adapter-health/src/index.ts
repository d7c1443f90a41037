export { healthAdapter, loadConfig, start } from './adapter.ts';
