export { educationAdapter, definition, loadConfig, start } from './adapter.ts';
