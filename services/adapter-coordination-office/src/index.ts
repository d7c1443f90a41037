export { coordinationOfficeAdapter, definition, loadConfig, start } from './adapter.ts';
