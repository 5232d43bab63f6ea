/**
 * Build the compact catalogue document from the BBF XML files (development time: the
 * generator script and the test that keeps models/bbf-catalogue.json in step use it).
 */
import { join } from 'node:path';
import { loadCatalogue } from './catalogue.js';
import { CATALOGUE_FORMAT, compactCatalogue, type CompactCatalogues } from './compact.js';

/** The four documents, root models first. */
export const CATALOGUE_SOURCES = [
  'tr-181-2-17-0-cwmp-full.xml',
  'tr-098-1-8-0-full.xml',
  'tr-104-2-0-2-cwmp-full.xml',
  'tr-135-1-4-0-full.xml',
] as const;

export const CATALOGUE_NOTICE =
  'Derived from the Broadband Forum data models TR-181 (Device:2.17), TR-098 (InternetGatewayDevice:1.14), ' +
  'TR-104 (VoiceService:2.0) and TR-135 (STBService:1.4), BroadbandForum/cwmp-data-models, ' +
  'Copyright (c) Broadband Forum and contributors, BSD 3-clause licence: see models/NOTICE.';

export function buildCompactCatalogues(dir: string): CompactCatalogues {
  return {
    format: CATALOGUE_FORMAT,
    notice: CATALOGUE_NOTICE,
    models: CATALOGUE_SOURCES.map((f) => compactCatalogue(loadCatalogue(join(dir, f)))),
  };
}
