/**
 * Writes schemas/generated/*.ts from schemas/avro/*.avsc, or with `--check` exits 1 naming
 * every generated file that is out of date. `npm run schemas:generate` / `schemas:check`.
 */
import path from 'node:path';
import { loadSchemaSet } from '../src/avro-schema-set.ts';
import { compareGenerated, generateTypes, GENERATED_DIR, isFresh, readGenerated, writeGenerated } from '../src/type-generator.ts';

const expected = generateTypes(loadSchemaSet());
const relative = (file: string): string => path.relative(process.cwd(), path.join(GENERATED_DIR, file));

if (process.argv.includes('--check')) {
  const report = compareGenerated(expected, readGenerated());
  if (isFresh(report)) {
    console.log(`[schemas] ${expected.size} generated files are up to date`);
  } else {
    for (const file of report.outdated) console.error(`[schemas] stale: ${relative(file)} differs from what its .avsc generates`);
    for (const file of report.missing) console.error(`[schemas] missing: ${relative(file)}`);
    for (const file of report.orphaned) console.error(`[schemas] orphaned: ${relative(file)} has no .avsc file any more`);
    console.error('[schemas] run `npm run schemas:generate` and commit the result');
    process.exitCode = 1;
  }
} else {
  const changed = writeGenerated(expected);
  console.log(
    changed.length === 0 ? '[schemas] generated files already up to date' : `[schemas] wrote ${changed.map(relative).join(', ')}`,
  );
}
