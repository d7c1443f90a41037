import { Router, type Request, type Response, type NextFunction } from 'express';
import { problems } from './problem.ts';
import { PROBLEM_TYPES, PROBLEM_TYPE_NAMES, type ProblemExplanation, type ProblemTypeName } from './problem-types.ts';

/** Where the pages are served: a service serving them passes this as its HttpAppOptions.problemTypeBase. */
export const PROBLEM_PAGES_BASE = '/problems/';

/** The route the pages answer at. */
export const PROBLEM_PAGES_PATH = `${PROBLEM_PAGES_BASE}:name`;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);

function section(lang: 'en' | 'fr', status: number, text: ProblemExplanation): string {
  const [whatHappened, whatToDo] = lang === 'en' ? ['What happened', 'What to do'] : ['Ce qui s’est passé', 'Que faire'];
  return [
    `<section lang="${lang}">`,
    `<h1>${status} ${escapeHtml(text.title)}</h1>`,
    `<h2>${whatHappened}</h2>`,
    `<p>${escapeHtml(text.meaning)}</p>`,
    `<h2>${whatToDo}</h2>`,
    `<p>${escapeHtml(text.action)}</p>`,
    '</section>',
  ].join('\n');
}

/** One problem type's page: English then French, each in a section carrying its `lang`. */
export function problemPage(name: ProblemTypeName): string {
  const facts = PROBLEM_TYPES[name];
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(facts.en.title)} / ${escapeHtml(facts.fr.title)}</title>`,
    '</head>',
    '<body>',
    '<main>',
    section('en', facts.status, facts.en),
    '<hr>',
    section('fr', facts.status, facts.fr),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const isProblemTypeName = (name: unknown): name is ProblemTypeName =>
  typeof name === 'string' && (PROBLEM_TYPE_NAMES as readonly string[]).includes(name);

/**
 * GET /problems/<name>: the page a problem's `type` resolves to, in English and French, served
 * without authentication (mount it before the credential check). An unknown name is a 404
 * problem that does not repeat the name.
 */
export function problemPages(): Router {
  const router = Router();
  router.get(PROBLEM_PAGES_PATH, (req: Request, res: Response, next: NextFunction) => {
    const name = req.params['name'];
    if (!isProblemTypeName(name)) {
      next(problems.notFound('no problem type has this name'));
      return;
    }
    res.setHeader('Content-Language', 'en, fr');
    res.type('text/html; charset=utf-8').send(problemPage(name));
  });
  return router;
}
