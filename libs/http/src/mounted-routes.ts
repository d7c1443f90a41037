import type { Express } from 'express';

/** A route an express app answers: upper-case method and the path pattern (`/problems/:name`). */
export interface MountedRoute {
  readonly method: string;
  readonly path: string;
}

interface Layer {
  readonly route?: { readonly path: unknown; readonly methods: Readonly<Record<string, boolean>> };
  readonly handle?: { readonly stack?: readonly Layer[] };
  /** Set by express's router for a layer mounted at the root (`app.use(router)`). */
  readonly slash?: boolean;
}

/**
 * Every route the app mounted, read from express's own router (routers mounted with
 * `app.use(router)` included), in mounting order. A router mounted under a path cannot be read
 * back with its prefix, so it is refused rather than listed wrong.
 */
export function mountedRoutes(app: Express): MountedRoute[] {
  const root = (app as unknown as { router?: { stack: readonly Layer[] } }).router;
  return root === undefined ? [] : routesOf(root.stack);
}

function routesOf(stack: readonly Layer[]): MountedRoute[] {
  return stack.flatMap((layer): MountedRoute[] => {
    if (layer.route) {
      const path = layer.route.path;
      if (typeof path !== 'string') throw new Error('a route mounted with a pattern that is not a string cannot be listed');
      return Object.keys(layer.route.methods)
        .filter((method) => layer.route?.methods[method] === true && method !== '_all')
        .map((method) => ({ method: method.toUpperCase(), path }));
    }
    const nested = layer.handle?.stack;
    if (nested === undefined) return [];
    if (layer.slash !== true) throw new Error('a router mounted under a path cannot be listed with its prefix');
    return routesOf(nested);
  });
}
