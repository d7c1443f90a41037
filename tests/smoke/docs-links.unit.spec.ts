import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@passerelle/infra';

/**
 * Every link in the README and the docs resolves inside the repository: a fresh clone has no
 * `../shared/` beside it, and a renamed file or heading must not leave a dead link behind.
 */
const SKIP = new Set(['node_modules', '.git', '.passerelle']);

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(full);
    return entry.name.endsWith('.md') ? [full] : [];
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading?.[1])
      anchors.add(
        heading[1]
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/\s/g, '-'),
      );
  }
  return anchors;
}

/** Markdown links and backticked paths that name a file relative to the document. */
function linksOf(text: string): string[] {
  const withoutCode = text.replace(/```[\s\S]*?```/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
}

describe('links in the README and docs', () => {
  const files = markdownFiles(REPO_ROOT);

  it('finds the documents to check', () => {
    expect(files.map((f) => path.relative(REPO_ROOT, f))).toEqual(
      expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/disclosure-control.md']),
    );
  });

  it('every relative link names a file (and heading) inside the repository', () => {
    const broken: string[] = [];
    for (const file of files) {
      for (const link of linksOf(fs.readFileSync(file, 'utf8'))) {
        if (/^[a-z]+:/i.test(link)) continue; // http(s), mailto: not files
        const [target = '', anchor] = link.split('#');
        const resolved = target === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(target));
        const where = `${path.relative(REPO_ROOT, file)} → ${link}`;
        if (!resolved.startsWith(REPO_ROOT + path.sep) && resolved !== REPO_ROOT) broken.push(`${where} (outside the repository)`);
        else if (!fs.existsSync(resolved)) broken.push(`${where} (no such file)`);
        else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) broken.push(`${where} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('no document sends the reader outside the repository by path', () => {
    const outside = files
      .filter((file) => /(^|[\s`(])\.\.\/shared\//m.test(fs.readFileSync(file, 'utf8')))
      .map((f) => path.relative(REPO_ROOT, f));
    expect(outside).toEqual([]);
  });
});
