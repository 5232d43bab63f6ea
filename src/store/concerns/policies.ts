/**
 * Store concern: provisioning policies (src/policies), their revisions, and per device the
 * compliance of each policy plus a small memo that lets an idle session skip evaluation.
 * Backends: sqlite/policies.ts, postgres/policies.ts; suite: test/store/conformance/policies.ts.
 *
 * The memo and the compliance rows are written by the session's commit (SessionCommit.policy,
 * the `policy` write op), never by a separate call, so policies add no round trip to a session.
 */
import type { DeviceFilter } from './devices.js';
import type { ComplianceRecord } from './policy-state.js';

export type * from './policy-state.js';

/** Events a policy may be triggered by (TR-069 Table 7), as written in a policy. */
export type PolicyTrigger = '0 BOOTSTRAP' | '1 BOOT' | '2 PERIODIC' | '4 VALUE CHANGE' | '6 CONNECTION REQUEST' | '7 TRANSFER COMPLETE';

/**
 * A schedule trigger: the policy applies in sessions inside a window that opens at each time
 * `cron` names and spans `window` ("01:00-05:00": four hours; default one hour), in the
 * device's own zone (its Time.LocalTimeZoneName / LocalTimeZone, else UTC) or a named one.
 */
export interface PolicySchedule {
  cron: string;
  window?: string;
  timeZone?: string;
}

/** Where a computed value comes from. */
export type ValueSource =
  /** Another parameter of the device, as read in the session. */
  | { parameter: string }
  /** A field of the device's identity (its Inform's DeviceId) or its id. */
  | { identity: 'id' | 'manufacturer' | 'oui' | 'productClass' | 'serialNumber' }
  /** A random secret made once per device and policy, then kept (masked in every answer). */
  | { secret: { length: number } }
  /** What a sandboxed script returns (src/policies/sandbox.ts: the body of a function). */
  | { script: string };

/**
 * One piece of desired state.
 *  - `value`: the parameter has this literal value.
 *  - `from`: the parameter has a computed value.
 *  - `maxAge`: re-read this subtree (or parameter) when the stored copy is older (seconds).
 *  - `notification`: the parameter's notification attribute (0 off, 1 passive, 2 active).
 */
export type Declaration =
  | { path: string; value: string; type?: string }
  | { path: string; from: ValueSource; type?: string }
  | { path: string; maxAge: number }
  | { path: string; notification: 0 | 1 | 2 }
  | ObjectDeclaration
  | OnlyDeclaration;

/**
 * Exactly one instance of a table (`object`: "Device.NAT.PortMapping.{i}") whose key
 * parameters have these values, with these other values: added when missing, duplicates
 * deleted. Names in `key` and `values` are relative to the instance ("ExternalPort").
 */
export interface ObjectDeclaration {
  object: string;
  key: Record<string, string>;
  values?: Record<string, string>;
}

/** No instance of the table other than those whose keys are one of `only`: the rest deleted. */
export interface OnlyDeclaration {
  object: string;
  only: Record<string, string>[];
}

/** What an operator writes: everything of a policy but its id and bookkeeping. */
export interface PolicyDefinition {
  name: string;
  description?: string;
  /** The filter as written (NBI filter language); all must hold. Empty: every device. */
  filter: string[];
  /** `filter` parsed. */
  filters: DeviceFilter[];
  /** Sessions whose Inform carries one of these events; empty: every session. */
  triggers: (PolicyTrigger | PolicySchedule)[];
  /** Higher wins a conflict (two policies declaring one path). */
  priority: number;
  enabled: boolean;
  declarations: Declaration[];
  /**
   * A sandboxed script that declares values (`declare(path, value)`) besides `declarations`,
   * for what a list cannot say (values that depend on the model, on another parameter …).
   */
  script?: string;
  /**
   * Backups the matching devices keep (src/services/backup-schedule.ts): an Upload of this
   * file type whenever the device's newest one is older than `every` seconds. Not part of a
   * session's evaluation: a background job queues the upload tasks.
   */
  backups?: PolicyBackup[];
}

export interface PolicyBackup {
  /** "1 Vendor Configuration File" or "2 Vendor Log File". */
  fileType: string;
  /** Seconds: the newest backup of this type may be this old. */
  every: number;
}

export interface PolicyRecord extends PolicyDefinition {
  id: string;
  /** 1 for a new policy, +1 per change (a rollback too). */
  revision: number;
  createdAt: number;
  updatedAt: number;
  /** Who made the current revision. */
  author: string;
}

export interface PolicyRevision {
  policyId: string;
  revision: number;
  definition: PolicyDefinition;
  author: string;
  at: number;
}

export interface ComplianceCounts {
  compliant: number;
  faulted: number;
  /** Rows that are pending, or evaluated against an older revision. */
  pending: number;
}

export interface PolicyStore {
  /** A new policy at revision 1, with its first revision row. */
  createPolicy(policy: PolicyRecord): Promise<void>;
  /**
   * Replace a policy's definition with revision `policy.revision`, which must be one more
   * than the stored one (false otherwise, or when the policy does not exist); keeps the revision.
   */
  updatePolicy(policy: PolicyRecord): Promise<boolean>;
  getPolicy(id: string): Promise<PolicyRecord | null>;
  /** Every policy, by priority (highest first), then name. */
  listPolicies(): Promise<PolicyRecord[]>;
  /** The policy, its revisions and its compliance rows. */
  deletePolicy(id: string): Promise<boolean>;
  /** Newest first. */
  listPolicyRevisions(policyId: string): Promise<PolicyRevision[]>;
  /** Counts of compliance rows of one policy; rows of other revisions count as pending. */
  policyCompliance(policyId: string, revision: number): Promise<ComplianceCounts>;
  /** A device's compliance rows, by policy id. */
  deviceCompliance(deviceId: string): Promise<ComplianceRecord[]>;
  /**
   * The policy memos of these devices (those that have one), without a session lock: for
   * background jobs that must know whether a device already applied a schedule's window
   * (src/services/policy-wake.ts). One round trip; at most 1,000 ids.
   */
  policyMemos(deviceIds: readonly string[]): Promise<Record<string, string>>;
}
