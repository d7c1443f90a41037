export { educationAdapter, loadConfig, start } from './adapter.ts';
