import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import { Writable } from 'node:stream';
import { createLogger } from '@passerelle/logging';
import {
  PROBLEM_TYPES,
  PROBLEM_TYPE_NAMES,
  createHttpApp,
  finishApp,
  listen,
  mountedRoutes,
  problemPages,
  problems,
  type RunningServer,
} from './index.ts';

const quiet = createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, cb) => cb() }) as never });

describe('problem type pages', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop(100);
    server = undefined;
  });

  async function start(): Promise<string> {
    const { app } = createHttpApp({ service: 'test', logger: quiet, problemTypeBase: '/problems/' });
    app.use(problemPages());
    app.post('/things', () => {
      throw problems.validation([{ field: 'size', reason: 'must be a number' }]);
    });
    finishApp(app, quiet);
    server = await listen(app, 0);
    return server.url;
  }

  it('gives every problem type of the catalogue a page in English and French', async () => {
    const url = await start();
    for (const name of PROBLEM_TYPE_NAMES) {
      const page = await fetch(`${url}/problems/${name}`);
      expect(page.status, name).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain('<section lang="en">');
      expect(html).toContain('<section lang="fr">');
      expect(html).toContain(PROBLEM_TYPES[name].en.title);
    }
  });

  it('answers a problem whose type resolves against the service to its page', async () => {
    const url = await start();
    const answer = (await (await fetch(`${url}/things`, { method: 'POST' })).json()) as { type: string };
    expect(answer.type).toBe('/problems/validation');
    expect((await fetch(new URL(answer.type, `${url}/things`))).status).toBe(200);
    const missing = (await (await fetch(`${url}/nowhere`)).json()) as { type: string };
    expect((await fetch(new URL(missing.type, url))).status).toBe(200);
  });

  it('answers 404 for a name the catalogue does not have, without repeating it', async () => {
    const url = await start();
    const page = await fetch(`${url}/problems/Canary-Name`);
    expect(page.status).toBe(404);
    expect(await page.text()).not.toContain('Canary-Name');
  });

  it('keeps the absolute type URI where no base is set', async () => {
    const { app } = createHttpApp({ service: 'test', logger: quiet });
    finishApp(app, quiet);
    server = await listen(app, 0);
    const missing = (await (await fetch(`${server.url}/nowhere`)).json()) as { type: string };
    expect(missing.type).toBe('https://passerelle.ontario.example/problems/not-found');
  });
});

describe('mountedRoutes', () => {
  it('lists the app’s routes and those of routers mounted at the root, in order', () => {
    const app = express();
    app.get('/healthz', (_req, res) => res.end());
    const router = express.Router();
    router.post('/referrals', (_req, res) => res.end());
    router.get('/referrals/:id', (_req, res) => res.end());
    app.use(router);
    app.use(problemPages());
    expect(mountedRoutes(app)).toEqual([
      { method: 'GET', path: '/healthz' },
      { method: 'POST', path: '/referrals' },
      { method: 'GET', path: '/referrals/:id' },
      { method: 'GET', path: '/problems/:name' },
    ]);
  });

  it('refuses a router mounted under a path rather than listing it without its prefix', () => {
    const app = express();
    const router = express.Router();
    router.get('/x', (_req, res) => res.end());
    app.use('/v1', router);
    expect(() => mountedRoutes(app)).toThrow(/under a path/);
  });
});
