/**
 * src/secrets/catalogue.ts is the BBF data models' hidden parameters: regenerated here from
 * ../shared/datamodels and compared (UPDATE_SECRET_CATALOGUE=1 rewrites it).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../../src/datamodel/catalogue.js';
import { CATALOGUE_SECRETS } from '../../src/secrets/catalogue.js';

const DIR = join(import.meta.dirname, '../../../shared/datamodels');
const have = existsSync(DIR);
if (!have) console.log(`${DIR} is absent: skipping the secret catalogue check`);

describe.skipIf(!have)('secret catalogue', () => {
  it('lists exactly the non-boolean hidden parameters of the BBF models', () => {
    const out = new Set<string>();
    for (const f of readdirSync(DIR).sort()) {
      if (!f.endsWith('full.xml')) continue;
      for (const [p, v] of loadCatalogue(join(DIR, f)).parameters) if (v.hidden === true && v.type !== 'xsd:boolean') out.add(p);
    }
    const expected = [...out].sort();
    if (process.env.UPDATE_SECRET_CATALOGUE === '1') {
      const file = join(import.meta.dirname, '../../src/secrets/catalogue.ts');
      const text = readFileSync(file, 'utf8');
      const head = text.slice(0, text.indexOf('[\n') + 2);
      writeFileSync(file, `${head}${expected.map((p) => `  '${p}',`).join('\n')}\n];\n`);
    }
    expect([...CATALOGUE_SECRETS]).toEqual(expected);
  });
});
