/**
 * Store concern: quirk profiles written by operators and learnt by sessions (shipped ones
 * live in code: src/datamodel/quirks.ts; a stored profile with a shipped id replaces it).
 * Backends: sqlite/quirks.ts, postgres/quirks.ts; suite: test/store/conformance/quirks.ts.
 */
import type { QuirkProfile } from '../../datamodel/quirks.js';

export type { QuirkProfile, QuirkEvidence, QuirkMatch, QuirkSettings, QuirkSource } from '../../datamodel/quirks.js';

export interface QuirkStore {
  /** Every stored profile, by id. */
  listQuirkProfiles(): Promise<QuirkProfile[]>;
  /** Create or replace the profile with this id. */
  putQuirkProfile(profile: QuirkProfile): Promise<void>;
  deleteQuirkProfile(id: string): Promise<boolean>;
}
