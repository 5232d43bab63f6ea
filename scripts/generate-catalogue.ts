/**
 * Writes models/bbf-catalogue.json (src/datamodel/compact.ts) from the Broadband Forum's
 * "full" data-model documents in ../shared/datamodels. Run at development time:
 *   npx vite-node scripts/generate-catalogue.ts
 * test/datamodel/bbf.test.ts regenerates it in memory and fails when the shipped file differs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCompactCatalogues } from '../src/datamodel/generate.js';

const root = join(import.meta.dirname, '..');
const out = join(root, 'models', 'bbf-catalogue.json');
writeFileSync(out, JSON.stringify(buildCompactCatalogues(join(root, '..', 'shared', 'datamodels'))) + '\n');
console.log(`wrote ${out}`);
