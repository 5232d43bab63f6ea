/** The XMPP server for tests lives with the benchmarks, which start one too. */
export { prosodyMissing, startProsody, type Prosody } from '../../bench/lib/prosody.js';
