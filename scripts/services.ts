/**
 * What `npm start` knows of each service under services/, by folder name: its HTTP port, its
 * Kafka principal and its party. The adapters' come from the party registry (default:
 * schemas/parties.json), so a new party needs no edit here.
 */
import { PARTIES, type Party } from '@passerelle/contracts';
import { serviceRoles, type ServiceRole } from '@passerelle/db';

/** The services that are no party's adapter, and their default HTTP ports. */
const OTHER_SERVICE_PORTS = { projector: 8110, 'view-api': 8080 } as const;

/** Default HTTP port of each service (health, metrics, and its API where it has one). */
export function servicePorts(parties: readonly Party[] = PARTIES): Readonly<Record<string, number>> {
  return { ...Object.fromEntries(parties.map((party) => [party.adapter.service, party.adapter.port])), ...OTHER_SERVICE_PORTS };
}

/** The party whose adapter a service is; undefined for the projector and the view API. */
export function partyOfService(name: string, parties: readonly Party[] = PARTIES): Party | undefined {
  return parties.find((party) => party.adapter.service === name);
}

/** The Kafka principal a service connects as; none for services that do not use Kafka. */
export function kafkaPrincipalOf(name: string, parties: readonly Party[] = PARTIES): string | undefined {
  if (name === 'projector') return 'projector';
  return partyOfService(name, parties)?.kafkaPrincipal;
}

/** The database roles `npm start` creates: one per party's adapter schema, the projector's, the view API's. */
export function databaseLayout(parties: readonly Party[] = PARTIES): ServiceRole[] {
  return serviceRoles(parties.map((party) => party.adapter.databaseSchema));
}

/** The key of a service's database role (and of its password): an adapter's schema, or the service name with underscores. */
export function databaseRoleOf(name: string, parties: readonly Party[] = PARTIES): string {
  return partyOfService(name, parties)?.adapter.databaseSchema ?? name.replace(/-/g, '_');
}
