/**
 * The agent's tree checked the way another ACS would check it: this host's real TR-181
 * tree (every built-in provider, read from the live system) against the BBF catalogue
 * (TR-181 2.17): the DeviceInfo parameters every device must have, with the standard's
 * types and access, and no parameter outside vendor extensions that the standard does not
 * define, has another type, or is writable where the standard says read-only.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParameterInfo, ParameterValue } from '../../src/cwmp/types.js';
import { genericPath, loadCatalogue, lookupParameter, type Catalogue } from '../../src/datamodel/catalogue.js';
import { Agent } from '../../src/cpe/agent/agent.js';
import { StateFile } from '../../src/cpe/agent/state.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const xml = path.resolve(repoRoot, '../shared/datamodels/tr-181-2-17-0-cwmp-full.xml');
const have = existsSync(xml);
if (!have) console.log(`skipped: ${xml} is not here (the BBF catalogue)`);

/** DeviceInfo parameters TR-181's Baseline profile requires of every device. */
const MANDATORY = ['Manufacturer', 'ManufacturerOUI', 'ModelName', 'Description', 'ProductClass', 'SerialNumber', 'HardwareVersion', 'SoftwareVersion', 'ProvisioningCode', 'UpTime'];

let dir: string;
let agent: Agent;
let cat: Catalogue;
let names: ParameterInfo[];
let values: Map<string, ParameterValue>;

describe.skipIf(!have)('agent tree vs the TR-181 catalogue (skipped when ../shared is absent, like every test of the shared data)', () => {
  beforeAll(async () => {
    cat = loadCatalogue(xml);
    dir = mkdtempSync(path.join(tmpdir(), 'flotilla-agent-cat-'));
    // An unreachable ACS (discard port): the tree is read in-process, no session is needed.
    agent = await Agent.start({ acsUrl: 'http://127.0.0.1:9/', stateDir: dir, serialNumber: 'CAT-1', connectionRequest: { host: '127.0.0.1', port: 0 } });
    const gpn = agent.model.handle({ method: 'GetParameterNames', parameterPath: 'Device.', nextLevel: false });
    const gpv = agent.model.handle({ method: 'GetParameterValues', parameterNames: ['Device.'] });
    if (gpn.response.method !== 'GetParameterNamesResponse' || gpv.response.method !== 'GetParameterValuesResponse') throw new Error('no tree');
    names = gpn.response.parameterList;
    values = new Map(gpv.response.parameterList.map((p) => [p.name, p]));
  });

  afterAll(async () => {
    await agent?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('has every mandatory DeviceInfo parameter with its standard type and access', () => {
    for (const n of MANDATORY) {
      const p = `Device.DeviceInfo.${n}`;
      const std = lookupParameter(cat, p)!;
      expect(std, p).toBeDefined();
      const mine = names.find((x) => x.name === p);
      expect(mine, `${p} missing`).toBeDefined();
      expect(mine!.writable, `${p} access`).toBe(std.access === 'readWrite');
      expect(values.get(p)!.type, `${p} type`).toBe(std.type);
    }
    expect(values.get('Device.DeviceInfo.SerialNumber')!.value).toBe('CAT-1');
    expect(Number(values.get('Device.DeviceInfo.UpTime')!.value)).toBeGreaterThan(0);
    expect(values.get('Device.DeviceInfo.ManufacturerOUI')!.value).toMatch(/^[0-9A-F]{6}$/);
  });

  it('serves only standard parameters, with the standard type, never writable where the standard says read-only', () => {
    const problems: string[] = [];
    for (const info of names) {
      if (info.name.endsWith('.')) {
        // A table ("…Interface.") is catalogued as its rows ("…Interface.{i}.").
        const g = genericPath(info.name).replace(/\.\d+\.$/, '.{i}.');
        const obj = cat.objects.get(g) ?? cat.objects.get(`${g}{i}.`);
        if (obj === undefined && !info.name.includes('.X_')) problems.push(`${info.name}: object not in TR-181`);
        continue;
      }
      if (info.name.includes('.X_')) continue;
      const std = lookupParameter(cat, info.name);
      if (std === undefined) {
        problems.push(`${info.name}: not in TR-181`);
        continue;
      }
      const type = values.get(info.name)?.type;
      if (type !== std.type) problems.push(`${info.name}: type ${type}, standard ${std.type}`);
      if (info.writable && std.access === 'readOnly') problems.push(`${info.name}: writable, standard read-only`);
    }
    expect(problems).toEqual([]);
    // The live system is there: at least the loopback interface with its address.
    const lo = names.find((n) => /^Device\.IP\.Interface\.\d+\.Name$/.test(n.name) && values.get(n.name)?.value === 'lo');
    expect(lo).toBeDefined();
  });

  it('forced-inform parameters are the standard ones, and the state file is private', () => {
    const forced = agent.model.informParameters().map((p) => p.name);
    for (const p of forced) expect(lookupParameter(cat, p)?.forcedInform, p).toBe(true);
    expect(forced).toEqual(expect.arrayContaining(['Device.RootDataModelVersion', 'Device.DeviceInfo.SoftwareVersion', 'Device.ManagementServer.ConnectionRequestURL']));
    new StateFile(dir).save();
    expect(statSync(path.join(dir, 'state.json')).mode & 0o777).toBe(0o600);
  });
});
