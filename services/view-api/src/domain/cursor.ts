/** Opaque keyset cursors: the last key of a page, base64url JSON. Never holds a person-level value. */
export function encodeCursor(key: string | number): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64url');
}

export function decodeCursor(cursor: string): string | number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown };
    return typeof parsed.k === 'string' || typeof parsed.k === 'number' ? parsed.k : undefined;
  } catch {
    return undefined;
  }
}
