import { connect } from 'node:net';

/** True when at least one broker accepts a TCP connection within `timeoutMs`. */
export async function anyBrokerReachable(brokers: readonly string[], timeoutMs = 1_000): Promise<boolean> {
  const attempts = brokers.map(
    (broker) =>
      new Promise<boolean>((resolve) => {
        const at = broker.lastIndexOf(':');
        const socket = connect({ host: broker.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(broker.slice(at + 1)) });
        const done = (ok: boolean): void => {
          socket.destroy();
          resolve(ok);
        };
        socket.setTimeout(timeoutMs, () => done(false));
        socket.once('connect', () => done(true));
        socket.once('error', () => done(false));
      }),
  );
  return (await Promise.all(attempts)).some(Boolean);
}
