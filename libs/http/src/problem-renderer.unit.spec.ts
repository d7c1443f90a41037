import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '@passerelle/logging';
import { createHttpApp, finishApp, listen, problems, type ProblemRenderer, type RunningServer } from './index.ts';

const quiet = createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, cb) => cb() }) as never });

describe('a service’s own format for refusals', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('answers the same status in the renderer’s format to the requests it picks, problem details to the others', async () => {
    const renderProblem: ProblemRenderer = (req, problem, body) =>
      req.headers.accept === 'application/x-other'
        ? { contentType: 'application/x-other', body: { said: body.title, code: problem.typeName } }
        : undefined;
    const { app } = createHttpApp({ service: 'test', logger: quiet, problemTypeBase: '/problems/', renderProblem });
    app.get('/things', () => {
      throw problems.conflict('already there');
    });
    finishApp(app, quiet);
    server = await listen(app, 0);

    const other = await fetch(`${server.url}/things`, { headers: { accept: 'application/x-other' } });
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toContain('application/x-other');
    expect(await other.json()).toEqual({ said: 'Conflict', code: 'conflict' });

    const plain = await fetch(`${server.url}/things`);
    expect(plain.status).toBe(409);
    expect(plain.headers.get('content-type')).toContain('application/problem+json');
    expect(await plain.json()).toMatchObject({ type: '/problems/conflict', status: 409 });

    const missing = await fetch(`${server.url}/nowhere`, { headers: { accept: 'application/x-other' } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ said: 'Not found', code: 'not-found' });
  });
});
