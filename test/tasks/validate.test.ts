/**
 * Task bodies → stored tasks: defaults, types from the device's tree, values checked against
 * their type, secrets hidden; and tasks ↔ RPCs one to one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACS_REQUEST_METHODS, type AcsRequest } from '../../src/cwmp/types.js';
import { requestFor, taskFromRequest, type SingleRpcTask } from '../../src/tasks/rpc.js';
import { deviceContext, isSecretPath, normalizeTask, redactTask, TaskValidationError } from '../../src/tasks/validate.js';
import { bodies } from '../cwmp/arbitraries.js';

const ctx = deviceContext([
  { path: 'Device.WiFi.SSID.1.Enable', type: 'xsd:boolean' },
  { path: 'Device.WiFi.SSID.1.SSID', type: 'xsd:string' },
  { path: 'Device.NAT.PortMapping.4.ExternalPort', type: 'xsd:unsignedInt' },
  { path: 'Device.Vendor.Odd', type: 'X_ACME_type' },
]);

describe('normalizeTask', () => {
  it('fills defaults: parameterKey, generated CommandKeys, transfer fields, nextLevel', () => {
    expect(normalizeTask({ type: 'getParameterNames', parameterPath: 'Device.' })).toEqual({ type: 'getParameterNames', parameterPath: 'Device.', nextLevel: false });
    const reboot = normalizeTask({ type: 'reboot' });
    expect(reboot.type === 'reboot' && reboot.commandKey).toMatch(/^flotilla-[0-9a-f]{8}$/);
    expect(normalizeTask({ type: 'reboot', commandKey: 'mine' })).toEqual({ type: 'reboot', commandKey: 'mine' });
    expect(normalizeTask({ type: 'download', fileType: '1 Firmware Upgrade Image', url: 'http://f/x.bin', commandKey: 'k' })).toEqual({
      type: 'download',
      commandKey: 'k',
      fileType: '1 Firmware Upgrade Image',
      url: 'http://f/x.bin',
      username: '',
      password: '',
      fileSize: 0,
      targetFileName: '',
      delaySeconds: 0,
      successURL: '',
      failureURL: '',
    });
  });

  it('setParameterValues: explicit type, else the stored type, else xsd:string; JSON scalars become text', () => {
    const t = normalizeTask(
      {
        type: 'setParameterValues',
        parameterValues: [
          ['Device.WiFi.SSID.1.Enable', true],
          ['Device.WiFi.SSID.1.SSID', 'lab'],
          ['Device.Unknown.X', 42],
          ['Device.Vendor.Odd', 'v'],
          ['Device.NAT.PortMapping.4.ExternalPort', '8080', 'unsignedInt'],
        ],
      },
      ctx,
    );
    expect(t).toEqual({
      type: 'setParameterValues',
      parameterValues: [
        ['Device.WiFi.SSID.1.Enable', 'true', 'xsd:boolean'],
        ['Device.WiFi.SSID.1.SSID', 'lab', 'xsd:string'],
        ['Device.Unknown.X', '42', 'xsd:string'],
        ['Device.Vendor.Odd', 'v', 'xsd:string'],
        ['Device.NAT.PortMapping.4.ExternalPort', '8080', 'xsd:unsignedInt'],
      ],
      parameterKey: '',
    });
  });

  it('refuses values that are not of their type, unknown types, objects and duplicates', () => {
    const bad = (parameterValues: unknown[][]) => () => normalizeTask({ type: 'setParameterValues', parameterValues }, ctx);
    expect(bad([['Device.WiFi.SSID.1.Enable', 'yes']])).toThrow(/not a valid xsd:boolean/);
    expect(bad([['Device.X', '-1', 'xsd:unsignedInt']])).toThrow(/not a valid xsd:unsignedInt/);
    expect(bad([['Device.X', '1', 'xsd:float']])).toThrow(/unknown type/);
    expect(bad([['Device.X.', '1']])).toThrow(/is an object/);
    expect(bad([['Device.X', '1'], ['Device.X', '2']])).toThrow(/set twice/);
    expect(bad([['Device..X', '1']])).toThrow(TaskValidationError);
    expect(bad([[42, '1']])).toThrow(/first item must be a parameter path/);
    expect(bad([['Device.X', '1', 7]])).toThrow(/third item must be an xsd type/);
  });

  it('addObject values take the type of the same parameter in another instance', () => {
    const t = normalizeTask({ type: 'addObject', objectName: 'Device.WiFi.SSID.', parameterValues: [['Enable', '1'], ['SSID', 'guest'], ['New', 'x']] }, ctx);
    expect(t).toEqual({
      type: 'addObject',
      objectName: 'Device.WiFi.SSID.',
      parameterValues: [
        ['Enable', '1', 'xsd:boolean'],
        ['SSID', 'guest', 'xsd:string'],
        ['New', 'x', 'xsd:string'],
      ],
      parameterKey: '',
    });
    expect(() => normalizeTask({ type: 'addObject', objectName: 'Device.NAT.PortMapping.', parameterValues: [['ExternalPort', 'http']] }, ctx)).toThrow(/unsignedInt/);
  });

  it('setParameterAttributes needs something to change; scheduleDownload windows must be ordered', () => {
    expect(() => normalizeTask({ type: 'setParameterAttributes', parameterAttributes: [{ name: 'Device.X' }] })).toThrow(/notification, accessList/);
    expect(
      normalizeTask({ type: 'setParameterAttributes', parameterAttributes: [{ name: 'Device.X', notification: 2 }] }),
    ).toEqual({ type: 'setParameterAttributes', parameterAttributes: [{ name: 'Device.X', notification: 2 }] });
    expect(() =>
      normalizeTask({ type: 'scheduleDownload', fileType: '1 Firmware Upgrade Image', url: 'http://f', timeWindows: [{ windowStart: 10, windowEnd: 5, windowMode: '1 At Any Time' }] }),
    ).toThrow(/windowEnd/);
  });

  it('redacts secrets when shown', () => {
    const dl = normalizeTask({ type: 'download', fileType: '1 Firmware Upgrade Image', url: 'http://f', username: 'u', password: 'p4ss' });
    expect(redactTask(dl)).toMatchObject({ username: 'u', password: '***' });
    const spv = normalizeTask({ type: 'setParameterValues', parameterValues: [['Device.ManagementServer.ConnectionRequestPassword', 'pw'], ['Device.X', 'y']] });
    expect(redactTask(spv)).toMatchObject({ parameterValues: [['Device.ManagementServer.ConnectionRequestPassword', '***', 'xsd:string'], ['Device.X', 'y', 'xsd:string']] });
    expect(isSecretPath('Device.WiFi.AccessPoint.1.Security.KeyPassphrase')).toBe(true);
    expect(isSecretPath('Device.DeviceInfo.PasswordPolicy.Enable')).toBe(false);
  });
});

describe('tasks and RPCs', () => {
  it('every ACS RPC has a task that sends exactly it', () => {
    for (const method of ACS_REQUEST_METHODS) {
      fc.assert(
        fc.property(bodies[method] as fc.Arbitrary<AcsRequest>, (request) => {
          const task = taskFromRequest(request);
          if (task.type === 'addObject') {
            expect({ method: 'AddObject', objectName: task.objectName, parameterKey: task.parameterKey }).toEqual(request);
          } else if (request.method === 'SetParameterAttributes') {
            // Values a *Change=false flag tells the CPE to ignore are not kept.
            const meaningful = request.parameterList.map((a) => ({
              ...a,
              notification: a.notificationChange ? a.notification : 0,
              accessList: a.accessListChange ? a.accessList : [],
            }));
            expect(requestFor(task as SingleRpcTask)).toEqual({ ...request, parameterList: meaningful });
          } else {
            expect(requestFor(task as SingleRpcTask)).toEqual(request);
          }
        }),
        { numRuns: 20 },
      );
    }
  });
});
