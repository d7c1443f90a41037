import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { problems, requireContentType, type ProblemError } from '@passerelle/http';

/** Deepest nesting a native record may have; FHIR resources stay well under it. */
export const MAX_JSON_DEPTH = 24;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Adds the parsed body to the request; the raw bytes stay available for nothing else. */
export interface ParsedBodyRequest extends Request {
  body: unknown;
}

function charsetProblem(req: Request, accepted: readonly string[]): ProblemError | undefined {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(req.headers['content-type'] ?? '')?.[1];
  if (charset === undefined || /^utf-?8$/i.test(charset)) return undefined;
  return problems.unsupportedMediaType(
    req.headers['content-type'],
    accepted.map((type) => `${type}; charset=utf-8`),
  );
}

/** Decodes strictly: a byte sequence that is not UTF-8 is refused, never replaced with U+FFFD. */
function decodeUtf8(raw: unknown): string {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
  try {
    return utf8.decode(bytes);
  } catch {
    throw problems.validation([{ field: 'body', reason: 'is not valid UTF-8' }], 'the body could not be decoded');
  }
}

/** Depth of a parsed JSON value, measured without recursion so a hostile body cannot overflow the stack. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(current as Record<string, unknown>)) stack.push({ value: child, depth: depth + 1 });
  }
  return deepest;
}

/**
 * Content codings a body may arrive in besides none: gzip only, since a ministry system loading
 * a year of records may compress it. The limit applies to the decompressed bytes, so a small
 * body that inflates past it (a zip bomb) is refused with 413 as soon as it crosses the limit.
 */
export const ACCEPTED_CONTENT_CODINGS = ['gzip'] as const;

/** 415 naming the coding for a Content-Encoding other than none, identity or gzip (br, deflate, x-made-up, a list). */
function requireContentEncoding(req: Request, _res: Response, next: NextFunction): void {
  const header = req.headers['content-encoding'];
  const coding = header?.trim().toLowerCase();
  if (coding === undefined || coding === '' || coding === 'identity' || (ACCEPTED_CONTENT_CODINGS as readonly string[]).includes(coding)) {
    next();
    return;
  }
  next(problems.unsupportedContentEncoding(header?.trim() ?? '', ACCEPTED_CONTENT_CODINGS));
}

function readRaw(limit: string): RequestHandler {
  // Any type: requireContentType has already decided; this only reads bytes up to the limit,
  // counted after decompression (requireContentEncoding let only gzip through).
  return express.raw({ type: () => true, limit, inflate: true });
}

/**
 * 415 unless the media type is one of `accepted` (and any charset is UTF-8) and the body is
 * uncompressed or gzip, 413 past `limit` (decompressed), 400 for bytes that are not UTF-8, not JSON or nested deeper than MAX_JSON_DEPTH.
 */
export function jsonBody(limit: string, accepted: readonly string[] = ['application/json']): RequestHandler[] {
  return [
    requireContentType(accepted),
    (req: Request, _res: Response, next: NextFunction) => next(charsetProblem(req, accepted)),
    requireContentEncoding,
    readRaw(limit),
    (req: Request, _res: Response, next: NextFunction) => {
      const text = decodeUtf8(req.body);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw problems.validation([{ field: 'body', reason: 'is not valid JSON' }], 'the body could not be parsed');
      }
      if (jsonDepth(parsed) > MAX_JSON_DEPTH) {
        throw problems.validation(
          [{ field: 'body', reason: `nests deeper than ${MAX_JSON_DEPTH} levels` }],
          'the body could not be parsed',
        );
      }
      (req as ParsedBodyRequest).body = parsed;
      next();
    },
  ];
}

/** The same guards for a CSV upload; the body becomes the decoded text. */
export function csvBody(limit: string): RequestHandler[] {
  const accepted = ['text/csv'];
  return [
    requireContentType(accepted),
    (req: Request, _res: Response, next: NextFunction) => next(charsetProblem(req, accepted)),
    requireContentEncoding,
    readRaw(limit),
    (req: Request, _res: Response, next: NextFunction) => {
      (req as ParsedBodyRequest).body = decodeUtf8(req.body);
      next();
    },
  ];
}
