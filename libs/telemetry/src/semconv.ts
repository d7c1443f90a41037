/** Attribute names this lib reads, in one place (OpenTelemetry semantic conventions). */
export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_PEER_SERVICE = 'peer.service';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
/** The conventions before 1.21 name the peer so; older instrumentations still do. */
export const ATTR_NET_PEER_NAME = 'net.peer.name';
export const ATTR_NET_PEER_PORT = 'net.peer.port';
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
