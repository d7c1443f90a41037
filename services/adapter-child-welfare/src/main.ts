import { runAdapterMain } from '@passerelle/adapter/main';

// Telemetry starts before the service's modules load, so http, express and pg get patched.
await runAdapterMain({ service: 'adapter-child-welfare', ministry: 'CHILD_WELFARE', load: () => import('./adapter.ts') });
