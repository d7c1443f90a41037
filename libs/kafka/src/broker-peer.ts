import type { Attributes } from '@opentelemetry/api';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from './semconv.ts';

/** What kafkajs's producer, consumer and admin report of each request they send (`<client>.network.request`). */
export interface RequestReporter {
  readonly events: { readonly REQUEST: string };
  on(event: string, listener: (event: { payload: { broker: string; apiName: string } }) => void): unknown;
}

/** A broker address as kafkajs reports it, `host:port`, split; undefined when it is not one. */
export function parseBroker(broker: string): { address: string; port: number } | undefined {
  const colon = broker.lastIndexOf(':');
  const port = Number(broker.slice(colon + 1));
  const address = broker.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return colon > 0 && address !== '' && Number.isInteger(port) && port > 0 && port < 65_536 ? { address, port } : undefined;
}

/**
 * The broker a client's producer or consumer spans name as their peer (`server.address`,
 * `server.port`): the one that last answered its `apiName` requests (Produce, Fetch), else the
 * one that last answered any. kafkajs says which broker served a request, not which message it
 * carried: with several brokers this is the latest of them, with one it is exact.
 */
export class BrokerPeer {
  private latest: { address: string; port: number } | undefined;
  private latestOfApi: { address: string; port: number } | undefined;

  constructor(private readonly apiName: string) {}

  /** Follows the requests `client` reports; a client that reports none (a test double) leaves the peer unknown. */
  static following(client: Partial<RequestReporter>, apiName: string): BrokerPeer {
    const peer = new BrokerPeer(apiName);
    if (typeof client.on === 'function' && client.events?.REQUEST)
      client.on(client.events.REQUEST, ({ payload }) => peer.answered(payload.broker, payload.apiName));
    return peer;
  }

  answered(broker: string, apiName: string): void {
    const parsed = parseBroker(broker);
    if (!parsed) return;
    this.latest = parsed;
    if (apiName === this.apiName) this.latestOfApi = parsed;
  }

  /** The span attributes naming the broker; none before the client sent anything. */
  attributes(): Attributes {
    const broker = this.latestOfApi ?? this.latest;
    return broker ? { [ATTR_SERVER_ADDRESS]: broker.address, [ATTR_SERVER_PORT]: broker.port } : {};
  }
}
