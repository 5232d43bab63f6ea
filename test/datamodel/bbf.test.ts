/**
 * models/bbf-catalogue.json is derived from ../shared/datamodels: regenerated here and
 * compared, so the shipped file never drifts from the BBF documents (run
 * `npx vite-node scripts/generate-catalogue.ts` to rewrite it). Profiles are read too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCompactCatalogues } from '../../src/datamodel/generate.js';
import { parseCatalogueSet } from '../../src/datamodel/bbf.js';

const DIR = join(import.meta.dirname, '../../../shared/datamodels');
const have = existsSync(join(DIR, 'tr-181-2-17-0-cwmp-full.xml'));
if (!have) console.log(`${DIR} is absent: skipping the shipped catalogue check`);
const SHIPPED = join(import.meta.dirname, '../../models/bbf-catalogue.json');

describe('models/bbf-catalogue.json', () => {
  it('parses, and refuses a document of another format', () => {
    const set = parseCatalogueSet(readFileSync(SHIPPED, 'utf8'));
    expect(set.rootModel('Device.')?.model).toBe('Device:2.17');
    expect(() => parseCatalogueSet('{"format":"other","models":[]}')).toThrow(/flotilla-catalogue\/1/);
  });

  it('keeps profiles with their requirements and what they include', () => {
    const set = parseCatalogueSet(readFileSync(SHIPPED, 'utf8'));
    const igd = set.rootModel('InternetGatewayDevice.')!;
    const baseline = igd.profiles.get('Baseline:1')!;
    expect(baseline.objects.get('InternetGatewayDevice.ManagementServer.')).toBe('present');
    expect(baseline.parameters.get('InternetGatewayDevice.ManagementServer.PeriodicInformInterval')).toBe('readWrite');
    expect(baseline.parameters.get('InternetGatewayDevice.DeviceSummary')).toBe('readOnly');
    const dev = set.rootModel('Device.')!;
    // Deleted in 2.17 but still claimable: kept, with what it extends.
    expect(dev.profiles.get('Baseline:1')?.includes).toEqual(['_Baseline:1']);
    expect(dev.profiles.get('_Baseline:1')?.parameters.get('Device.DeviceInfo.SerialNumber')).toBe('readOnly');
    expect(dev.profiles.get('Baseline:2')?.includes).toEqual(['Baseline:1', '_Baseline:2']);
  });

  it.skipIf(!have)('is exactly what the BBF documents in ../shared/datamodels give', () => {
    const fresh = JSON.parse(JSON.stringify(buildCompactCatalogues(DIR)));
    expect(JSON.parse(readFileSync(SHIPPED, 'utf8'))).toEqual(fresh);
  });
});
