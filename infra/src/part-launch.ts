import { withDatabase } from '@passerelle/pg-admin';
import { partMarker } from './processes.ts';

/** The JVM options every Java part starts with: the part marker `infra` recognises its pid by, and the heap. */
export function javaArgs(part: string, heapMb: number): string[] {
  return [partMarker(part), `-Xms${Math.min(heapMb, 256)}m`, `-Xmx${heapMb}m`, '-XX:+UseSerialGC', '-Djava.awt.headless=true'];
}

/** One readiness probe over HTTP: true on a 2xx answer within 2 s. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** A Java server's connection to its own database on the `DATABASE_URL` server: JDBC URL, user and password. */
export function jdbcConnection(databaseUrl: string, database: string): { url: string; username: string; password: string } {
  const db = new URL(withDatabase(databaseUrl, database));
  return {
    url: `jdbc:postgresql://${db.hostname}:${db.port || '5432'}/${database}`,
    username: decodeURIComponent(db.username || 'postgres'),
    password: decodeURIComponent(db.password || 'postgres'),
  };
}
