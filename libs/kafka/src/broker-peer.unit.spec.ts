import { describe, expect, it } from 'vitest';
import { BrokerPeer, parseBroker, type RequestReporter } from './broker-peer.ts';

function reporter() {
  const listeners: ((event: { payload: { broker: string; apiName: string } }) => void)[] = [];
  const client: RequestReporter = {
    events: { REQUEST: 'producer.network.request' },
    on: (_event, listener) => listeners.push(listener),
  };
  return { client, request: (broker: string, apiName: string) => listeners.forEach((l) => l({ payload: { broker, apiName } })) };
}

describe('BrokerPeer', () => {
  it('names the broker that last answered the spans’ own requests, before any other', () => {
    const { client, request } = reporter();
    const peer = BrokerPeer.following(client, 'Produce');

    expect(peer.attributes()).toEqual({});
    request('127.0.0.1:9092', 'Metadata');
    expect(peer.attributes()).toEqual({ 'server.address': '127.0.0.1', 'server.port': 9092 });
    request('10.0.0.2:9094', 'Produce');
    request('10.0.0.3:9095', 'Metadata');
    expect(peer.attributes()).toEqual({ 'server.address': '10.0.0.2', 'server.port': 9094 });
  });

  it('leaves the peer unknown for a client that reports no requests', () => {
    expect(BrokerPeer.following({}, 'Fetch').attributes()).toEqual({});
  });
});

describe('parseBroker', () => {
  it('splits host and port, and refuses what is not a broker address', () => {
    expect(parseBroker('localhost:9092')).toEqual({ address: 'localhost', port: 9092 });
    expect(parseBroker('[::1]:9092')).toEqual({ address: '::1', port: 9092 });
    expect(parseBroker('localhost')).toBeUndefined();
    expect(parseBroker(':9092')).toBeUndefined();
    expect(parseBroker('host:99999')).toBeUndefined();
  });
});
