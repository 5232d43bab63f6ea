/**
 * LDAP sign-in against a real slapd (issue 10): a DN template or a search finds the user, a bind
 * checks the password, groups (groupOfNames member, posixGroup memberUid) give the role; the
 * highest mapped group wins and a user in none is refused. Roles follow the directory at each
 * sign-in. Hostile names (filter and DN injection), empty passwords and a directory that is down
 * are refused. Over real HTTP: POST /api/v1/session with the directory behind it.
 */
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeDnValue, escapeFilterValue, LdapDirectory, parseGroupRole, roleOf } from '../../src/directory/ldap.js';
import { startStack, type Json, type Stack } from '../nbi/helpers.js';
import { slapdWanted, startSlapd, type Slapd } from '../helpers/slapd.js';

const PEOPLE = 'ou=people,dc=example,dc=org';
const GROUPS = 'ou=groups,dc=example,dc=org';

const person = (uid: string, password: string): string =>
  `dn: uid=${uid},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\nuserPassword: ${password}\n\n`;

const LDIF =
  `dn: ${PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n` +
  `dn: ${GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n` +
  person('alice', 'alice-ldap-pass') +
  person('bob', 'bob-ldap-pass') +
  person('carol', 'carol-ldap-pass') +
  person('dave', 'dave-ldap-pass') +
  `dn: cn=flotilla-admins,${GROUPS}\nobjectClass: groupOfNames\ncn: flotilla-admins\nmember: uid=alice,${PEOPLE}\n\n` +
  `dn: cn=noc,${GROUPS}\nobjectClass: groupOfNames\ncn: noc\nmember: uid=alice,${PEOPLE}\nmember: uid=bob,${PEOPLE}\n\n` +
  `dn: cn=viewers,${GROUPS}\nobjectClass: posixGroup\ncn: viewers\ngidNumber: 5000\nmemberUid: carol\n\n` +
  `dn: cn=unmapped,${GROUPS}\nobjectClass: groupOfNames\ncn: unmapped\nmember: uid=dave,${PEOPLE}\n`;

const ROLES = [
  { group: `cn=flotilla-admins,${GROUPS}`, role: 'admin' as const },
  { group: 'NOC', role: 'operator' as const }, // by cn, any case
  { group: 'viewers', role: 'read-only' as const },
];

describe('LDAP pure parts', () => {
  it('escapes names for DNs and filters; maps groups to the highest role; parses role:group', () => {
    expect(escapeDnValue('a,b+c"d\\e<f>g;h=i')).toBe('a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i');
    expect(escapeDnValue(' #lead trail ')).toBe('\\ #lead trail\\ ');
    expect(escapeFilterValue('*)(uid=*')).toBe('\\2a\\29\\28uid=\\2a');
    expect(escapeFilterValue('a\\b\u0000')).toBe('a\\5cb\\00');
    expect(roleOf([{ dn: 'cn=noc,ou=groups,dc=example,dc=org', cn: ['noc'] }, { dn: `cn=flotilla-admins, ${GROUPS}`, cn: [] }], ROLES)).toBe('admin');
    expect(roleOf([{ dn: 'cn=x', cn: ['x'] }], ROLES)).toBeNull();
    expect(parseGroupRole('admin:cn=a,dc=b')).toEqual({ role: 'admin', group: 'cn=a,dc=b' });
    expect(() => parseGroupRole('root:cn=a')).toThrow();
    expect(() => parseGroupRole('admin:')).toThrow();
    expect(() => new LdapDirectory({ url: 'ldap://x', groupRoles: ROLES })).toThrow(/template or a search base/);
    expect(() => new LdapDirectory({ url: 'ldap://x', bindDnTemplate: 'uid=x', groupRoles: ROLES })).toThrow(/\{name\}/);
  });
});

describe.skipIf(!slapdWanted())('LDAP sign-in against slapd', () => {
  let slapd: Slapd;
  let s: Stack;
  let byTemplate: LdapDirectory;

  beforeAll(async () => {
    slapd = await startSlapd(LDIF);
    byTemplate = new LdapDirectory({ url: slapd.url, bindDnTemplate: `uid={name},${PEOPLE}`, groupBase: GROUPS, groupRoles: ROLES, timeoutMs: 3000 });
    s = await startStack({ nbi: { directory: byTemplate } });
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await slapd?.close();
  });

  const signIn = async (name: string, password: string): Promise<{ status: number; body: Json }> => {
    const r = await fetch(`${s.nbi.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
    return { status: r.status, body: await r.json() };
  };

  it('a DN template: the password is checked by the directory, groups give the role, no group is no entry', async () => {
    expect(await byTemplate.authenticate('alice', 'alice-ldap-pass')).toEqual({ role: 'admin' });
    expect(await byTemplate.authenticate('bob', 'bob-ldap-pass')).toEqual({ role: 'operator' });
    expect(await byTemplate.authenticate('carol', 'carol-ldap-pass')).toEqual({ role: 'read-only' });
    expect(await byTemplate.authenticate('dave', 'dave-ldap-pass')).toBe('no-role');
    expect(await byTemplate.authenticate('alice', 'wrong')).toBeNull();
    expect(await byTemplate.authenticate('nobody', 'whatever')).toBeNull();
    // A DN with no password is an anonymous bind, which slapd accepts: refused before it.
    expect(await byTemplate.authenticate('alice', '')).toBeNull();
    // Injection through the name finds nothing.
    expect(await byTemplate.authenticate('alice,ou=people', 'alice-ldap-pass')).toBeNull();
    expect(await byTemplate.authenticate('*', 'alice-ldap-pass')).toBeNull();
  });

  it('a search (as a service account): the entry it finds is bound; two or none are refused', async () => {
    const bySearch = new LdapDirectory({
      url: slapd.url,
      searchBase: PEOPLE,
      searchFilter: '(&(objectClass=inetOrgPerson)(uid={name}))',
      searchBindDn: slapd.rootDn,
      searchBindPassword: slapd.rootPassword,
      groupBase: GROUPS,
      groupRoles: ROLES,
    });
    expect(await bySearch.authenticate('bob', 'bob-ldap-pass')).toEqual({ role: 'operator' });
    expect(await bySearch.authenticate('bob', 'alice-ldap-pass')).toBeNull();
    // "*" would match every person: escaped, it matches none.
    expect(await bySearch.authenticate('*', 'alice-ldap-pass')).toBeNull();
    expect(await bySearch.authenticate('alice)(uid=*', 'alice-ldap-pass')).toBeNull();
  });

  it('over HTTP: directory users sign in with their role, kept as ldap users; roles follow the directory; refusals alike', async () => {
    const alice = await signIn('alice', 'alice-ldap-pass');
    expect(alice.status).toBe(200);
    expect(alice.body).toMatchObject({ kind: 'user', role: 'admin', user: { name: 'alice', source: 'ldap' } });
    const bob = await signIn('bob', 'bob-ldap-pass');
    expect(bob.body.role).toBe('operator');
    const dave = await signIn('dave', 'dave-ldap-pass');
    const wrong = await signIn('carol', 'not-carols');
    const unknown = await signIn('zed', 'zed-pass-word');
    expect([dave.status, wrong.status, unknown.status]).toEqual([401, 401, 401]);
    expect(dave.body).toEqual(wrong.body);
    expect(unknown.body).toEqual(wrong.body);
    expect((await signIn('*', 'alice-ldap-pass')).status).toBe(401);
    // No password of theirs is kept here, and an admin cannot set one.
    const users = (await s.api.get('/users')).body.users as Json[];
    const bobUser = users.find((u) => u.name === 'bob');
    expect(bobUser).toMatchObject({ source: 'ldap', role: 'operator' });
    expect((await s.api.req('PATCH', `/users/${bobUser.id}`, { password: 'a local password' })).status).toBe(409);

    // The directory moves bob into the admins: his next sign-in is an admin's.
    const admin = new Client({ url: slapd.url });
    await admin.bind(slapd.rootDn, slapd.rootPassword);
    const { Change, Attribute } = await import('ldapts');
    await admin.modify(`cn=flotilla-admins,${GROUPS}`, [new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [`uid=bob,${PEOPLE}`] }) })]);
    await admin.unbind();
    expect((await signIn('bob', 'bob-ldap-pass')).body.role).toBe('admin');

    const audit = (await s.api.get('/audit?limit=100')).body.entries as Json[];
    expect(audit.find((e) => e.action === 'sign-in' && e.actor.name === 'alice')).toMatchObject({ after: { source: 'ldap' } });
    expect(audit.find((e) => e.action === 'sign-in-failed' && e.actor.name === 'dave')).toMatchObject({ after: { reason: 'directory-user-in-no-mapped-group' } });
    expect(JSON.stringify(audit)).not.toMatch(/ldap-pass/);
  });

  it('a directory that is down refuses sign-in (never lets anyone in) and says why in the audit log', async () => {
    await slapd.stop();
    const r = await signIn('alice', 'alice-ldap-pass');
    expect(r.status).toBe(401);
    const audit = (await s.api.get('/audit?limit=10')).body.entries as Json[];
    expect(audit[0]).toMatchObject({ action: 'sign-in-failed', after: { reason: 'directory-unreachable' } });
  });
});
