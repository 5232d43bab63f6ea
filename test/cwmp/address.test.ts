import { describe, expect, it } from 'vitest';
import { forbiddenKind, formatIp, inCidr, isLoopback, parseCidr, parseIp } from '../../src/cwmp/address.js';

const canon = (t: string): string | null => {
  const a = parseIp(t);
  return a === null ? null : formatIp(a);
};

describe('IP spellings', () => {
  it('every spelling of 127.0.0.1 is 127.0.0.1', () => {
    for (const t of ['127.0.0.1', '2130706433', '0x7f000001', '0x7f.0.0.1', '0177.0.0.1', '0177.0.0.01', '127.1', '127.0.1', '::ffff:127.0.0.1', '[::ffff:7f00:1]', '0:0:0:0:0:ffff:7f00:1']) {
      expect(canon(t), t).toBe('127.0.0.1');
    }
  });

  it('IPv6 is compared in its canonical compression', () => {
    expect(canon('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canon('[2001:db8::1]')).toBe('2001:db8::1');
    expect(canon('::1')).toBe('::1');
  });

  it('host names, zone ids and garbage are not IPs', () => {
    for (const t of ['localhost', 'example.net', 'fe80::1%eth0', '', '1.2.3.4.5', '256.1.1.1', '::g', 'x'.repeat(200), '1.2.3.4 ']) {
      if (t === '1.2.3.4 ') expect(canon(t)).toBe('1.2.3.4');
      else expect(canon(t), t).toBeNull();
    }
  });
});

describe('CIDRs and kinds', () => {
  it('matches ranges of either family, IPv4-mapped ranges as IPv4', () => {
    const c = parseCidr('100.64.0.0/10')!;
    expect(inCidr(parseIp('100.127.255.255')!, c)).toBe(true);
    expect(inCidr(parseIp('100.128.0.0')!, c)).toBe(false);
    expect(inCidr(parseIp('::ffff:100.64.0.1')!, c)).toBe(true);
    expect(inCidr(parseIp('2001:db8::5')!, parseCidr('2001:db8::/32')!)).toBe(true);
    expect(inCidr(parseIp('10.0.0.1')!, parseCidr('::ffff:10.0.0.0/104')!)).toBe(true);
    for (const bad of ['10.0.0.0/33', 'x/8', '10.0.0.0/-1', '::/129', '10.0.0.0/ 8']) expect(parseCidr(bad), bad).toBeNull();
  });

  it('knows loopback, link-local, metadata, unspecified and multicast addresses', () => {
    expect(isLoopback(parseIp('127.5.6.7')!)).toBe(true);
    expect(isLoopback(parseIp('::1')!)).toBe(true);
    for (const t of ['169.254.169.254', '0xa9fea9fe', 'fe80::1', 'fd00:ec2::254', '0.0.0.0', '::', '224.0.0.1', '255.255.255.255', 'ff02::1']) {
      expect(forbiddenKind(parseIp(t)!), t).not.toBeNull();
    }
    for (const t of ['10.0.0.1', '127.0.0.1', '2001:db8::1', '100.64.0.1']) expect(forbiddenKind(parseIp(t)!), t).toBeNull();
  });
});
