/** The console's pure helpers: value type checks, CSV, the search box's filters, online status. */
import { describe, expect, it } from 'vitest';
import { checkValue, inputKind } from '../../src/ui/src/xsd.js';
import { csvField, csvLine, duration, isOnline } from '../../src/ui/src/format.js';
import { build, isExpression, SEARCH_HINT, searchFilter } from '../../src/ui/src/filters.js';
import { draftBody, draftOf, EMPTY_DRAFT, matchText } from '../../src/ui/src/quirks.js';
import { EMPTY_WEBHOOK, scopeText, webhookBody, WEBHOOK_EVENT_TYPES } from '../../src/ui/src/webhooks.js';
import { EVENT_TYPES } from '../../src/events/bus.js';

describe('checkValue', () => {
  it('accepts and normalises each type, refuses what the CPE would refuse', () => {
    expect(checkValue('xsd:unsignedInt', ' 42 ')).toEqual({ ok: true, value: '42' });
    expect(checkValue('xsd:unsignedInt', '-1').ok).toBe(false);
    expect(checkValue('xsd:unsignedInt', '4294967296').ok).toBe(false);
    expect(checkValue('xsd:int', '-2147483648')).toEqual({ ok: true, value: '-2147483648' });
    expect(checkValue('xsd:int', '1.5').ok).toBe(false);
    expect(checkValue('xsd:unsignedLong', '18446744073709551615').ok).toBe(true);
    expect(checkValue('xsd:long', 'abc')).toEqual({ ok: false, error: 'long: a whole number is needed' });
    expect(checkValue('xsd:boolean', '1')).toEqual({ ok: true, value: 'true' });
    expect(checkValue('xsd:boolean', 'FALSE')).toEqual({ ok: true, value: 'false' });
    expect(checkValue('xsd:boolean', 'yes').ok).toBe(false);
    expect(checkValue('xsd:dateTime', '2024-01-31T12:00:00Z').ok).toBe(true);
    expect(checkValue('xsd:dateTime', '2024-13-31').ok).toBe(false);
    expect(checkValue('xsd:hexBinary', '0aFF').ok).toBe(true);
    expect(checkValue('xsd:hexBinary', 'abc').ok).toBe(false);
    expect(checkValue('xsd:base64', 'aGk=').ok).toBe(true);
    expect(checkValue('xsd:base64', 'a').ok).toBe(false);
    expect(checkValue('xsd:string', '  keep blanks ')).toEqual({ ok: true, value: '  keep blanks ' });
    expect(checkValue(null, 'x')).toEqual({ ok: true, value: 'x' });
    expect(inputKind('xsd:boolean')).toBe('boolean');
    expect(inputKind('xsd:unsignedInt')).toBe('integer');
    expect(inputKind('xsd:string')).toBe('text');
  });
});

describe('CSV', () => {
  it('quotes what needs quoting and defuses spreadsheet formulas', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', null, ['t1', 't2']])).toBe('a,"b,c","say ""hi""",,t1 t2\r\n');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-5')).toBe('-5');
    expect(csvField('-cmd')).toBe("'-cmd");
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
  });
});

describe('search box', () => {
  it('passes filter expressions through and turns other text into an id match', () => {
    expect(searchFilter('')).toBeNull();
    expect(searchFilter('SN0001')).toBe('id ~= *SN0001*');
    expect(searchFilter('SN*1')).toBe('serialNumber ~= SN*1');
    expect(searchFilter('SIM00010*')).toBe('serialNumber ~= SIM00010*');
    expect(searchFilter('00D09E-*')).toBe('id ~= 00D09E-*');
    expect(searchFilter('*Router*')).toBe('id ~= *Router*');
    expect(searchFilter('has blank')).toBe('id ~= "*has blank*"');
    expect(searchFilter('tag = lab')).toBe('tag = lab');
    expect(searchFilter('Device.DeviceInfo.SoftwareVersion ^= 2.')).toBe('Device.DeviceInfo.SoftwareVersion ^= 2.');
    expect(searchFilter('exists(Device.WiFi.)')).toBe('exists(Device.WiFi.)');
    expect(SEARCH_HINT).toContain('SIM00010*');
    expect(isExpression('lastInform < -1h')).toBe(true);
    expect(build('tag', '=', 'a b')).toBe('tag = "a b"');
  });
});

describe('duration', () => {
  it('says ms under a second, not 0.0 s', () => {
    expect(duration('2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.042Z')).toBe('42 ms');
    expect(duration('2024-01-01T00:00:00.000Z', '2024-01-01T00:00:02.500Z')).toBe('2.5 s');
    expect(duration('2024-01-01T00:00:00.000Z', '2024-01-01T00:01:05.000Z')).toBe('1 min 5 s');
    expect(duration(null, '2024-01-01T00:00:00.000Z')).toBe('');
  });
});

describe('online', () => {
  it('is an inform within the interval plus a grace', () => {
    const now = Date.parse('2024-01-01T12:00:00Z');
    expect(isOnline('2024-01-01T11:55:00Z', 300, now)).toBe(true);
    expect(isOnline('2024-01-01T11:53:00Z', 300, now)).toBe(false);
    expect(isOnline('2024-01-01T11:10:00Z', null, now)).toBe(true);
    expect(isOnline(null, 300, now)).toBe(false);
  });
});

describe('quirk profile drafts', () => {
  it('round-trip a body, leave empty fields out, and pass a bad size on for the API to refuse', () => {
    const body = { name: 'lab', match: { oui: '00147F', firmwareMin: '2.0' }, settings: { maxGetNames: 32, booleans: 'words', xsiType: false }, enabled: false };
    expect(draftBody(draftOf(body))).toEqual(body);
    expect(draftBody({ ...EMPTY_DRAFT, name: 'x', productClass: ' P ', maxGetNames: ' 0 ' })).toEqual({ name: 'x', match: { productClass: 'P' }, settings: { maxGetNames: 0 }, enabled: true });
    expect(draftBody({ ...EMPTY_DRAFT, maxGetNames: '1.5' }).settings).toEqual({ maxGetNames: '1.5' });
    expect(draftOf({ name: 'x', match: {}, settings: { teleport: true, xsiType: 'yes' }, enabled: true }).flags.xsiType).toBe('');
    expect(matchText({ oui: '00147F', firmwareMin: '1', firmwareMax: '1' })).toBe('OUI 00147F, firmware 1');
    expect(matchText({ firmwareMax: '3' })).toBe('firmware … – 3');
    expect(matchText({})).toBe('every device');
  });
});

describe('the webhooks form', () => {
  it('offers exactly the event types the API takes', () => {
    expect([...WEBHOOK_EVENT_TYPES]).toEqual([...EVENT_TYPES]);
  });

  it('turns a draft into the POST body, or says what is wrong as the API would', () => {
    const d = { ...EMPTY_WEBHOOK, url: ' https://oss.example.net/hook ' };
    expect(webhookBody(d, false)).toEqual({ ok: true, body: { url: 'https://oss.example.net/hook' } });
    // Events in the API's order, whatever order they were ticked in; a scope of what was given.
    expect(webhookBody({ ...d, events: ['task.done', 'device.registered'], tag: ' lab ', secret: 's'.repeat(16) }, false)).toEqual({
      ok: true,
      body: { url: 'https://oss.example.net/hook', events: ['device.registered', 'task.done'], secret: 's'.repeat(16), scope: { tag: 'lab' } },
    });
    expect(webhookBody({ ...d, filter: 'DeviceID.SerialNumber = "X"' }, false)).toMatchObject({ ok: true, body: { scope: { filter: 'DeviceID.SerialNumber = "X"' } } });
    // A scoped principal's webhooks carry its scope: the form sends none.
    expect(webhookBody({ ...d, tag: 'lab' }, true)).toEqual({ ok: true, body: { url: 'https://oss.example.net/hook' } });
    expect(webhookBody({ ...d, url: 'ftp://x/y' }, false)).toEqual({ ok: false, error: 'url: an http:// or https:// URL' });
    expect(webhookBody({ ...d, url: 'http://' }, false)).toEqual({ ok: false, error: 'url: not a URL' });
    expect(webhookBody({ ...d, url: `https://x/${'a'.repeat(2048)}` }, false)).toEqual({ ok: false, error: 'url: at most 2048 characters' });
    expect(webhookBody({ ...d, secret: 'short' }, false)).toMatchObject({ ok: false, error: expect.stringContaining('secret: 16 to 256') });
    expect(webhookBody({ ...d, events: ['device.exploded'] }, false)).toEqual({ ok: false, error: 'events: unknown event type device.exploded' });
    expect(webhookBody({ ...d, tag: 't'.repeat(129) }, false)).toEqual({ ok: false, error: 'scope.tag: at most 128 characters' });
  });

  it('shows a scope in words', () => {
    expect(scopeText(null)).toBe('whole fleet');
    expect(scopeText({ tag: 'lab' })).toBe('tag lab');
    expect(scopeText({ tag: 'lab', filter: 'a = "b"' })).toBe('tag lab and filter a = "b"');
  });
});
