/**
 * LDAP sign-in for people (issue 10): a directory checks the password, its groups give the
 * role. Two ways to find a user's DN: a template (`uid={name},ou=people,dc=example,dc=org`),
 * or a search (base + filter, as a service account or anonymously) for directories where the
 * DN is not made from the name. Then a bind as that DN with the password, and a search for the
 * groups naming the DN (member, uniqueMember) or the name (memberUid). The highest role of the
 * mapped groups wins; a user in none of them is refused.
 *
 * The name goes into DNs and filters escaped (RFC 4514, RFC 4515), and an empty password is
 * refused before any bind: LDAP treats a bind with a DN and no password as anonymous, which
 * "succeeds" (RFC 4513 §5.1.2).
 */
import { Client, InvalidCredentialsError } from 'ldapts';
import type { ApiRole } from '../store/types.js';

export interface LdapOptions {
  /** ldap://host:port or ldaps://host:port */
  url: string;
  /** A DN with `{name}`: the user's DN made from the sign-in name. */
  bindDnTemplate?: string;
  /** Or: search under this base for the user. */
  searchBase?: string;
  /** The search's filter with `{name}` (default `(uid={name})`). */
  searchFilter?: string;
  /** Who searches (a service account); absent: anonymously. */
  searchBindDn?: string;
  searchBindPassword?: string;
  /** Where groups are (default: the search base, or the template's suffix after its first RDN). */
  groupBase?: string;
  /** Group (its DN or cn, any case) → role. */
  groupRoles: { group: string; role: ApiRole }[];
  timeoutMs?: number;
}

const RANK: Record<ApiRole, number> = { 'read-only': 0, operator: 1, admin: 2 };

/** RFC 4514: a value inside a DN. */
export function escapeDnValue(v: string): string {
  return v
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ')
    // Control characters as \XX, as RFC 4514 allows.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** RFC 4515: a value inside a search filter. */
export function escapeFilterValue(v: string): string {
  // eslint-disable-next-line no-control-regex -- NUL must be escaped too (RFC 4515)
  return v.replace(/[\\*()\u0000]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The role of the highest mapped group, or null. */
export function roleOf(groups: { dn: string; cn: string[] }[], mapping: LdapOptions['groupRoles']): ApiRole | null {
  let best: ApiRole | null = null;
  const norm = (s: string): string => s.replace(/\s*,\s*/g, ',').toLowerCase();
  for (const g of groups) {
    for (const m of mapping) {
      const want = norm(m.group);
      if (norm(g.dn) === want || g.cn.some((cn) => cn.toLowerCase() === want)) {
        if (best === null || RANK[m.role] > RANK[best]) best = m.role;
      }
    }
  }
  return best;
}

/** `role:group` as the command line gives it (`admin:cn=ops,ou=groups,dc=example,dc=org`). */
export function parseGroupRole(v: string): { group: string; role: ApiRole } {
  const i = v.indexOf(':');
  const role = v.slice(0, i);
  if (i < 1 || !['read-only', 'operator', 'admin'].includes(role) || v.length === i + 1) throw new Error(`"${v}": expected role:group, e.g. admin:cn=flotilla-admins,ou=groups,dc=example,dc=org`);
  return { role: role as ApiRole, group: v.slice(i + 1) };
}

export class LdapDirectory {
  readonly #o: LdapOptions;

  constructor(o: LdapOptions) {
    if (o.bindDnTemplate === undefined && o.searchBase === undefined) throw new Error('LDAP needs a bind DN template or a search base');
    if (o.bindDnTemplate !== undefined && !o.bindDnTemplate.includes('{name}')) throw new Error('the LDAP bind DN template needs {name}');
    if (o.groupRoles.length === 0) throw new Error('LDAP needs at least one group → role mapping');
    this.#o = o;
  }

  #client(): Client {
    const t = this.#o.timeoutMs ?? 5_000;
    return new Client({ url: this.#o.url, timeout: t, connectTimeout: t });
  }

  /** null: no such user or a wrong password; `no-role`: right, but in no mapped group. */
  async authenticate(name: string, password: string): Promise<{ role: ApiRole } | 'no-role' | null> {
    if (password === '' || name === '') return null;
    const client = this.#client();
    try {
      const dn = await this.#findDn(client, name);
      if (dn === null) return null;
      try {
        await client.bind(dn, password);
      } catch (e) {
        // A wrong password (or no such DN, which slapd answers alike) is a refusal; a directory
        // that cannot be reached is an error the caller reports as such.
        if (e instanceof InvalidCredentialsError) return null;
        throw e;
      }
      const base = this.#o.groupBase ?? this.#o.searchBase ?? dn.slice(dn.indexOf(',') + 1);
      const filter = `(|(member=${escapeFilterValue(dn)})(uniqueMember=${escapeFilterValue(dn)})(memberUid=${escapeFilterValue(name)}))`;
      const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes: ['cn'], sizeLimit: 1000 });
      const groups = searchEntries.map((e) => ({ dn: e.dn, cn: ([] as unknown[]).concat(e.cn ?? []).map(String) }));
      const role = roleOf(groups, this.#o.groupRoles);
      return role === null ? 'no-role' : { role };
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  async #findDn(client: Client, name: string): Promise<string | null> {
    if (this.#o.bindDnTemplate !== undefined) return this.#o.bindDnTemplate.replaceAll('{name}', escapeDnValue(name));
    if (this.#o.searchBindDn !== undefined) await client.bind(this.#o.searchBindDn, this.#o.searchBindPassword ?? '');
    const filter = (this.#o.searchFilter ?? '(uid={name})').replaceAll('{name}', escapeFilterValue(name));
    const { searchEntries } = await client.search(this.#o.searchBase!, { scope: 'sub', filter, attributes: ['dn'], sizeLimit: 2 });
    // Two entries for one name: refuse rather than guess.
    return searchEntries.length === 1 ? searchEntries[0]!.dn : null;
  }
}
