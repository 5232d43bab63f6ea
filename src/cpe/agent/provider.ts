/**
 * The provider contract: how a piece of the host (its interfaces, its clock, an
 * application's own settings) becomes part of the TR-181 tree the agent serves.
 *
 * A provider declares the objects and parameters it owns now (paths, types, access), gives
 * their values, and takes the ACS's writes through its commit hook. Declarations are
 * re-read after every refresh and every commit, so a table grows and shrinks with the
 * system (an interface that appears, a neighbour that ages out).
 */
import type { ActiveNotify } from '../../datamodel/catalogue.js';

export interface ParamDecl {
  /** xsd type: string, boolean, unsignedInt, int, unsignedLong, long, dateTime, base64, hexBinary. */
  type: string;
  /** The ACS may write it (SetParameterValues); the provider's commit hook applies it. */
  writable?: boolean;
  /** canDeny for counters and clocks: active notification on them is refused (9009). */
  activeNotify?: ActiveNotify;
  /** Read back as "" by the ACS (passwords). */
  hidden?: boolean;
  enumeration?: readonly string[];
  min?: string;
  max?: string;
  maxLength?: number;
}

/** A value now, or a function read at each GetParameterValues (UpTime, CurrentLocalTime). */
export type Value = string | (() => string);

export interface Declarer {
  /** An object ("Device.IP."), a table ("Device.IP.Interface.", table: true) or an instance. */
  object(path: string, opts?: { table?: boolean; writable?: boolean }): void;
  param(path: string, decl: ParamDecl, value: Value): void;
}

/** What the agent keeps for providers across restarts (the 0600 state file). */
export interface ProviderContext {
  /**
   * A stable instance number for the row `key` (an interface name, a MAC address) of
   * `table` ("Device.IP.Interface."): the same after a restart, never reused for another key.
   */
  instance(table: string, key: string): number;
  /** A persisted value of this provider (its own writable settings). */
  stored(key: string): string | undefined;
  store(key: string, value: string): void;
}

export interface Provider {
  /** Short name for logs and the per-provider state ("deviceinfo", "ip", "myapp"). */
  readonly name: string;
  /** Read the system into the provider (before each session and each notification poll). */
  refresh?(ctx: ProviderContext): Promise<void>;
  /** Declare what it serves now. Synchronous: from what refresh() read. */
  declare(d: Declarer, ctx: ProviderContext): void;
  /** One write before it is applied: 0 when fine, else a CWMP fault code (9007 invalid value …). */
  check?(path: string, value: string): number;
  /**
   * Commit hook: the ACS's writes to this provider's parameters from one SetParameterValues,
   * after every entry of the request passed its checks. Throwing answers fault 9002.
   */
  commit?(writes: ReadonlyArray<readonly [path: string, value: string]>, ctx: ProviderContext): void;
  /** The device's own write (diagnostic results); a provider without it keeps its values as the system has them. */
  setInternal?(path: string, value: string): void;
  /** AddObject on a table it declared writable: the new instance number. */
  addObject?(table: string, ctx: ProviderContext): number;
  deleteObject?(instance: string, ctx: ProviderContext): void;
}
