import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes. */
  stop(graceMs?: number): Promise<void>;
}

export interface ListenOptions {
  /** Time a client has to send its request headers (slow-loris guard). */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send the whole request, body included. */
  readonly requestTimeoutMs?: number;
}

/** Listens on `port` (0 picks a free one, as tests do) on `host`. */
export async function listen(app: Express, port: number, host = '127.0.0.1', options: ListenOptions = {}): Promise<RunningServer> {
  const server: Server = createServer(app);
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = options.headersTimeoutMs ?? 10_000;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    stop: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
