export { justiceAdapter, loadConfig, start } from './adapter.ts';
