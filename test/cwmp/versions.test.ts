/**
 * CWMP 1.4 version negotiation, pure: the header's reading, the ACS's choice, and both session
 * machines speaking the agreed namespace after the InformResponse (fault 8006 when none fits).
 */
import { describe, expect, it } from 'vitest';
import { AcsSession } from '../../src/cwmp/acs-session.js';
import { CpeSession } from '../../src/cwmp/cpe-session.js';
import { buildEnvelope, parseEnvelope } from '../../src/cwmp/codec.js';
import type { CwmpNamespace, Envelope, Inform } from '../../src/cwmp/types.js';
import { checkVersionList, compareVersions, namespaceForVersion, negotiateVersion, parseVersionList } from '../../src/cwmp/versions.js';

const NS0 = 'urn:dslforum-org:cwmp-1-0';
const NS1 = 'urn:dslforum-org:cwmp-1-1';
const NS2 = 'urn:dslforum-org:cwmp-1-2';

const informBody: Inform = {
  method: 'Inform',
  deviceId: { manufacturer: 'A', oui: '000000', productClass: 'P', serialNumber: 'S' },
  event: [{ eventCode: '2 PERIODIC', commandKey: '' }],
  maxEnvelopes: 1,
  currentTime: '2026-12-03T00:00:00Z',
  retryCount: 0,
  parameterList: [],
};

function inform(namespace: CwmpNamespace, versions?: string): Envelope {
  return { namespace, header: { id: 'i1', ...(versions !== undefined ? { supportedCwmpVersions: versions } : {}) }, body: informBody };
}

/** Through the wire form, as the other side would read it. */
const wire = (env: Envelope): Envelope => {
  const parsed = parseEnvelope(buildEnvelope(env));
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
};

describe('the header and the choice', () => {
  it('reads lists as sent in the field: spaces, repeats, junk and leading zeros', () => {
    expect(parseVersionList(' 1.0, 1.4 ,x,1.4,01.2,,2')).toEqual(['1.0', '1.4', '1.2']);
    expect(parseVersionList('')).toEqual([]);
    // A hostile header is read only so far, and never throws.
    expect(parseVersionList('1.0,'.repeat(100_000)).length).toBe(1);
  });

  it('orders versions by number, so 1.10 comes after 1.9', () => {
    expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareVersions('1.4', '1.4')).toBe(0);
  });

  it('maps 1.2, 1.3 and 1.4 to the cwmp-1-2 namespace, as the schemas do', () => {
    expect(['1.0', '1.1', '1.2', '1.3', '1.4'].map(namespaceForVersion)).toEqual([NS0, NS1, NS2, NS2, NS2]);
    expect(namespaceForVersion('1.5')).toBeNull();
  });

  it('picks the highest version both speak', () => {
    expect(negotiateVersion('1.0,1.1,1.2,1.3,1.4')).toEqual({ kind: 'agreed', version: '1.4', namespace: NS2 });
    expect(negotiateVersion('1.4,1.0,1.9')).toMatchObject({ version: '1.4' });
    expect(negotiateVersion('1.0,1.1,1.2,1.3,1.4', ['1.0', '1.1'])).toEqual({ kind: 'agreed', version: '1.1', namespace: NS1 });
  });

  it('no header, or an empty one, is an older CPE; a list with nothing in common is incompatible', () => {
    expect(negotiateVersion(undefined)).toEqual({ kind: 'none' });
    expect(negotiateVersion('  ')).toEqual({ kind: 'none' });
    expect(negotiateVersion('1.5,2.0')).toEqual({ kind: 'incompatible', offered: ['1.5', '2.0'] });
    expect(negotiateVersion('garbage')).toEqual({ kind: 'incompatible', offered: [] });
    expect(negotiateVersion('1.4', ['1.0'])).toEqual({ kind: 'incompatible', offered: ['1.4'] });
  });

  it('checks configured lists', () => {
    expect(checkVersionList('1.0, 1.4')).toEqual({ ok: true, versions: ['1.0', '1.4'] });
    expect(checkVersionList('1.0,1.7')).toMatchObject({ ok: false, message: expect.stringContaining('1.7') });
    expect(checkVersionList(' , ')).toMatchObject({ ok: false });
  });
});

describe('the ACS session', () => {
  it('answers UseCWMPVersion and speaks the agreed namespace from the InformResponse on', () => {
    const s = new AcsSession();
    s.receive(inform(NS0, '1.0,1.4'));
    const ir = s.acceptInform();
    expect(ir.header.useCwmpVersion).toBe('1.4');
    expect(ir.namespace).toBe(NS2);
    expect(buildEnvelope(ir)).toContain('<cwmp:UseCWMPVersion soap-env:mustUnderstand="1">1.4</cwmp:UseCWMPVersion>');
    s.receive(null);
    expect(s.sendRequest({ method: 'GetRPCMethods' }).namespace).toBe(NS2);
  });

  it('an older CPE (no list) gets no UseCWMPVersion and its own namespace back', () => {
    const s = new AcsSession();
    s.receive(inform(NS1));
    const ir = s.acceptInform();
    expect(ir.header.useCwmpVersion).toBeUndefined();
    expect(ir.namespace).toBe(NS1);
    expect(buildEnvelope(ir)).not.toContain('UseCWMPVersion');
  });

  it('an ACS narrowed to 1.0 and 1.1 answers a 1.4 CPE with 1.1 in cwmp-1-1', () => {
    const s = new AcsSession({ cwmpVersions: ['1.0', '1.1'] });
    s.receive(inform(NS2, '1.0,1.1,1.2,1.3,1.4'));
    const ir = s.acceptInform();
    expect([ir.header.useCwmpVersion, ir.namespace]).toEqual(['1.1', NS1]);
  });

  it('nothing in common: accepting is refused, and versionFault is 8006 (Client) in the CPE\'s namespace', () => {
    const s = new AcsSession({ cwmpVersions: ['1.0'] });
    s.receive(inform(NS2, '1.3,1.4'));
    expect(s.negotiated).toEqual({ kind: 'incompatible', offered: ['1.3', '1.4'] });
    expect(() => s.acceptInform()).toThrow(/8006|version/);
    const f = s.versionFault();
    expect(f.namespace).toBe(NS2);
    expect(f.header.id).toBe('i1');
    expect(f.body.faultcode).toBe('Client');
    expect(f.body.detail.faultCode).toBe(8006);
    expect(f.body.detail.faultString).toContain('1.3,1.4');
    expect(s.state).toBe('ended');
  });
});

describe('the CPE session', () => {
  it('informs in its highest version\'s namespace with its list, then follows UseCWMPVersion', () => {
    const cpe = new CpeSession({ supportedCwmpVersions: '1.0,1.1' });
    const acs = new AcsSession();
    const sent = cpe.inform(informBody);
    if (!sent.ok) throw sent.error;
    expect(sent.value.namespace).toBe(NS1);
    acs.receive(wire(sent.value));
    const got = cpe.receive(wire(acs.acceptInform()));
    expect(got.ok).toBe(true);
    expect([cpe.cwmpVersion, cpe.namespace]).toEqual(['1.1', NS1]);
    const empty = cpe.sendEmpty();
    expect(empty.ok).toBe(true);
    acs.receive(null);
    const req = cpe.receive(wire(acs.sendRequest({ method: 'GetRPCMethods' })));
    expect(req.ok).toBe(true);
    const answer = cpe.respond({ method: 'GetRPCMethodsResponse', methodList: [] });
    if (!answer.ok) throw answer.error;
    expect(answer.value.namespace).toBe(NS1);
  });

  it('a version it did not offer fails the session', () => {
    const cpe = new CpeSession({ supportedCwmpVersions: '1.0' });
    cpe.inform(informBody);
    const r = cpe.receive({ namespace: NS2, header: { id: 'i1', useCwmpVersion: '1.4' }, body: { method: 'InformResponse', maxEnvelopes: 1 } });
    expect(r.ok).toBe(false);
    expect(cpe.state).toBe('failed');
  });

  it('an older ACS (no UseCWMPVersion) is followed in the namespace it answered in', () => {
    const cpe = new CpeSession({ supportedCwmpVersions: '1.0,1.1,1.2,1.3,1.4' });
    cpe.inform(informBody);
    expect(cpe.receive({ namespace: NS0, header: { id: 'i1' }, body: { method: 'InformResponse', maxEnvelopes: 1 } }).ok).toBe(true);
    expect([cpe.cwmpVersion, cpe.namespace]).toEqual([null, NS0]);
  });

  it('an 8006 to the Inform ends the session (the runner reports the fault)', () => {
    const cpe = new CpeSession({ supportedCwmpVersions: '1.4' });
    const acs = new AcsSession({ cwmpVersions: ['1.0'] });
    const sent = cpe.inform(informBody);
    if (!sent.ok) throw sent.error;
    acs.receive(wire(sent.value));
    const r = cpe.receive(wire(acs.versionFault()));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toContain('8006');
    expect(cpe.state).toBe('failed');
  });
});
