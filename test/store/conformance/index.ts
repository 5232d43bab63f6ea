/**
 * Every concern's conformance suite: a backend runs them all with one factory. A new
 * concern adds its suite here.
 */
import { auditConformance } from './audit.js';
import { campaignsConformance } from './campaigns.js';
import { credentialsConformance } from './credentials.js';
import { devicesConformance } from './devices.js';
import { filesConformance } from './files.js';
import type { StoreFixture } from './harness.js';
import { historyConformance } from './history.js';
import { policiesConformance } from './policies.js';
import { processesConformance } from './processes.js';
import { quirksConformance } from './quirks.js';
import { seriesConformance } from './series.js';
import { alarmsConformance } from './alarms.js';
import { usersConformance } from './users.js';
import { subscribersConformance } from './subscribers.js';
import { tasksConformance } from './tasks.js';
import { tokensConformance } from './tokens.js';
import { webhooksConformance } from './webhooks.js';
import { virtualParametersConformance } from './virtual-parameters.js';

export type { StoreFixture } from './harness.js';

export const SUITES = [devicesConformance, credentialsConformance, tasksConformance, historyConformance, tokensConformance, webhooksConformance, auditConformance, subscribersConformance, policiesConformance, campaignsConformance, filesConformance, seriesConformance, quirksConformance, alarmsConformance, usersConformance, processesConformance, virtualParametersConformance];

export function runConformance(name: string, factory: () => Promise<StoreFixture>): void {
  for (const suite of SUITES) suite(name, factory);
}
