/**
 * What a session writes for policies (SessionCommit.policy) and what compliance is: shared by
 * the sessions concern (./devices.ts) and the policies concern (./policies.ts), kept apart so
 * neither imports the other.
 */
export type ComplianceState = 'compliant' | 'pending' | 'faulted';

export interface ComplianceFault {
  faultCode: number;
  faultString: string;
  /** The parameter the CPE refused, when it said. */
  path?: string;
  /** When the policy is tried again on this device (exponential back-off per device and policy). */
  retryAt?: number;
}

/** One device's standing against one policy (no row: never evaluated, or not applicable). */
export interface ComplianceRecord {
  deviceId: string;
  policyId: string;
  /** The policy's revision this was evaluated against. */
  revision: number;
  state: ComplianceState;
  fault: ComplianceFault | null;
  at: number;
}

/**
 * What a session's commit writes for policies: the device's memo (opaque to the store; the
 * engine reads it back through openSession) and the compliance of the policies it evaluated.
 * Rows of `evaluated` policies absent from `compliance` are removed (no longer applicable).
 */
export interface PolicyCommit {
  memo: string;
  evaluated: string[];
  compliance: Omit<ComplianceRecord, 'deviceId'>[];
}

