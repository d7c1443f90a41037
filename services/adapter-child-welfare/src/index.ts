export { childWelfareAdapter, loadConfig, start } from './adapter.ts';
