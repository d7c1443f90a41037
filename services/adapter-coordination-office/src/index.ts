export { coordinationOfficeAdapter, loadConfig, start } from './adapter.ts';
