/**
 * Overload: how many CWMP sessions one process runs at once, and who gets in beyond that.
 * Pure (numbers in, a decision out); server.ts counts and answers.
 *
 * Sessions in progress are never refused: their later POSTs do not come here. A new session
 * (an Inform) is admitted while fewer than `maxSessions` are running or being opened. An Inform
 * carrying "6 CONNECTION REQUEST" (the device answers a request an operator is waiting on) may
 * use a reserve above the cap; a CPE that claims the event falsely only uses up that bounded
 * reserve. Everyone else is answered 503 with a Retry-After spread over [base, 2 × base), so
 * the refused CPEs do not all come back at the same second.
 */
export const CONNECTION_REQUEST_EVENT = '6 CONNECTION REQUEST';

export interface AdmissionLimits {
  maxSessions: number;
  /** Extra sessions only connection-request Informs may use. */
  reserve: number;
}

/** A tenth of the cap, at least one. */
export const reserveFor = (maxSessions: number): number => Math.max(1, Math.ceil(maxSessions / 10));

/** The ceiling for a new session with these events. */
export function sessionCeiling(limits: AdmissionLimits, eventCodes: readonly string[]): number {
  return limits.maxSessions + (eventCodes.includes(CONNECTION_REQUEST_EVENT) ? limits.reserve : 0);
}

/** May a new session start while `inFlight` sessions are running or being opened? */
export function admitSession(inFlight: number, limits: AdmissionLimits, eventCodes: readonly string[]): boolean {
  return inFlight < sessionCeiling(limits, eventCodes);
}

/**
 * Before reading a body: when even a connection request would be refused, a request that
 * belongs to no session (a new one must start with an Inform) is answered at once.
 */
export function fullEvenForConnectionRequests(inFlight: number, limits: AdmissionLimits): boolean {
  return inFlight >= limits.maxSessions + limits.reserve;
}

/** Retry-After seconds in [base, 2 × base), from a random number in [0, 1). */
export function retryAfterSeconds(baseSeconds: number, random: number): number {
  const base = Math.max(1, Math.floor(baseSeconds));
  return base + Math.min(base - 1, Math.floor(random * base));
}
