import Module from 'node:module';

type ResolveFilename = (request: string, parent: { filename?: unknown } | null | undefined, isMain?: boolean, options?: unknown) => string;

/** The part of node:module this touches; a parameter so that tests can hand in their own. */
export interface ModuleResolver {
  _resolveFilename: ResolveFilename;
}

const INSTALLED = Symbol.for('passerelle.relative-resolution-cache');

/**
 * OpenTelemetry's require hook (require-in-the-middle) resolves the file name of every
 * `require()` call, also those Node answers from its module cache, and kafkajs requires its
 * protocol modules again for every request it sends. Under tsx each resolution reads a
 * source-mapped stack trace, so with tracing on every fetch, produce and offset commit paid for
 * several: the relay and the projector spent a few percent of their CPU there. A relative request
 * made from a given file names the same file for the life of the process (Node's own
 * relative-resolve cache rests on the same assumption); this remembers those answers. Bare
 * specifiers, absolute paths and calls with options still resolve every time.
 */
export function cacheRelativeResolution(target: ModuleResolver = Module as unknown as ModuleResolver): void {
  const marked = target as ModuleResolver & { [INSTALLED]?: true };
  if (marked[INSTALLED]) return;
  const resolve = target._resolveFilename;
  const resolved = new Map<string, string>();
  target._resolveFilename = function cachedResolveFilename(this: unknown, request, parent, isMain, options) {
    const from = parent?.filename;
    if (isMain || options !== undefined || typeof from !== 'string' || !(request.startsWith('./') || request.startsWith('../'))) {
      return resolve.call(this, request, parent, isMain, options);
    }
    const key = `${from}\0${request}`;
    let filename = resolved.get(key);
    if (filename === undefined) {
      filename = resolve.call(this, request, parent, isMain, options);
      resolved.set(key, filename);
    }
    return filename;
  };
  marked[INSTALLED] = true;
}
