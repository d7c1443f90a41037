export { childWelfareAdapter, definition, loadConfig, start } from './adapter.ts';
