export { justiceAdapter, definition, loadConfig, start } from './adapter.ts';
