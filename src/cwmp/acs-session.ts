/**
 * The ACS side of one CWMP session (TR-069 3.7), as a state machine with no I/O.
 *
 * Messages in, messages out: the HTTP layer feeds each POST (an envelope, or `null` for an
 * empty POST) to `receive`, and sends back what the machine returns. Decisions that need
 * the outside world (is the device locked? what is queued for it?) are the driver's: the
 * machine stops in `informReceived` / `acsTurn` and waits to be told.
 *
 * States are one string-literal union; every legal move is one row of `TRANSITIONS`. An
 * event the table does not allow is answered with a typed ProtocolError and leaves the
 * state as it was.
 */
import { ProtocolError, faultString } from './errors.js';
import { faultcodeFor } from './rpc/fault.js';
import {
  ACS_REQUEST_RESPONSE,
  ACS_SUPPORTED_METHODS,
  type AcsRequest,
  type AcsResponse,
  type CpeRequest,
  type CpeResponse,
  type CwmpHeader,
  type CwmpNamespace,
  type Envelope,
  type Fault,
  type Inform,
} from './types.js';
import { CWMP_VERSIONS, negotiateVersion, type Negotiated } from './versions.js';

export type AcsSessionState =
  /** Nothing yet: the first message must be an Inform. */
  | 'awaitingInform'
  /** Inform parsed; the driver must accept (InformResponse) or reject (fault 8005 …). */
  | 'informReceived'
  /** The CPE may send its own requests until it sends an empty POST. */
  | 'cpeRequests'
  /** The CPE has nothing more to ask; the driver sends a request or finishes. */
  | 'acsTurn'
  /** An ACS request is out; the next POST must carry its response or a fault. */
  | 'awaitingResponse'
  /** The ACS has finished while holding the CPE's requests; it may now send them (3.7.1.4). */
  | 'released'
  | 'ended';

export type AcsSessionEvent =
  | 'inform'
  | 'accept'
  | 'reject'
  | 'cpeRequest'
  | 'emptyPost'
  | 'sendRequest'
  | 'cpeResponse'
  | 'cpeFault'
  | 'finish'
  | 'finishHeld';

const TRANSITIONS: { readonly [S in AcsSessionState]: Partial<Record<AcsSessionEvent, AcsSessionState>> } = {
  awaitingInform: { inform: 'informReceived' },
  informReceived: { accept: 'cpeRequests', reject: 'ended' },
  cpeRequests: { cpeRequest: 'cpeRequests', emptyPost: 'acsTurn' },
  acsTurn: { sendRequest: 'awaitingResponse', finish: 'ended', finishHeld: 'released' },
  awaitingResponse: { cpeResponse: 'acsTurn', cpeFault: 'acsTurn' },
  released: { cpeRequest: 'released', emptyPost: 'ended' },
  ended: {},
};

export type RpcOutcome =
  | { ok: true; response: CpeResponse }
  | { ok: false; fault: Fault['detail']; faultcode: Fault['faultcode'] };

export interface RpcCompletion {
  request: AcsRequest;
  /** Opaque tag the driver gave with the request (e.g. its queue id). */
  tag: string | null;
  outcome: RpcOutcome;
}

/** What the machine made of one POST. */
export type Received =
  | { kind: 'inform'; inform: Inform; header: CwmpHeader }
  | { kind: 'cpeRequest'; request: Exclude<CpeRequest, Inform>; reply: Envelope }
  /** The CPE had an unknown or unsupported request; answered with fault 8000. */
  | { kind: 'unsupported'; name: string; reply: Envelope<Fault> }
  /** The driver must now call `sendRequest` or `finish`. */
  | { kind: 'acsTurn'; completed: RpcCompletion | null }
  /** The session is over (an empty POST after the held requests were released). */
  | { kind: 'ended' }
  | { kind: 'rejected'; error: ProtocolError; reply: Envelope<Fault> | null };

interface PendingRequest {
  request: AcsRequest;
  tag: string | null;
  id: string;
}

export interface AcsSessionOptions {
  /** Prefix of the IDs we put on our requests; unique per session keeps logs readable. */
  idPrefix?: string;
  /** The CWMP versions the ACS speaks (default all, 1.0 … 1.4); a CPE's list is matched against it. */
  cwmpVersions?: readonly string[];
}

export class AcsSession {
  #state: AcsSessionState = 'awaitingInform';
  #namespace: CwmpNamespace = 'urn:dslforum-org:cwmp-1-0';
  #informId: string | undefined;
  #hold = false;
  #idPrefix: string;
  #counter = 0;
  #pending: PendingRequest | null = null;
  #versions: readonly string[];
  #negotiated: Negotiated = { kind: 'none' };

  constructor(opts: AcsSessionOptions = {}) {
    this.#idPrefix = opts.idPrefix ?? 'flotilla';
    this.#versions = opts.cwmpVersions ?? CWMP_VERSIONS;
  }

  /**
   * What the Inform's SupportedCWMPVersions came to: nothing offered (an older CPE), the
   * version both speak, or none in common (the driver answers fault 8006, versionFault()).
   */
  get negotiated(): Negotiated {
    return this.#negotiated;
  }

  get state(): AcsSessionState {
    return this.#state;
  }

  /** The CWMP namespace the CPE used; everything we send uses the same. */
  get namespace(): CwmpNamespace {
    return this.#namespace;
  }

  /** Feed one POST: an envelope, or null for an empty POST. */
  receive(message: Envelope | null): Received {
    if (message === null) return this.#receiveEmpty();
    const body = message.body;
    switch (this.#state) {
      case 'awaitingInform':
        if (body.method !== 'Inform') {
          return this.#reject('UNEXPECTED_MESSAGE', `a session must begin with Inform, not ${body.method}`, message);
        }
        this.#namespace = message.namespace;
        this.#informId = message.header.id;
        this.#negotiated = negotiateVersion(message.header.supportedCwmpVersions, this.#versions);
        this.#move('inform');
        return { kind: 'inform', inform: body, header: message.header };
      case 'cpeRequests':
      case 'released':
        return this.#receiveCpeRequest(message);
      case 'awaitingResponse':
        return this.#receiveResponse(message);
      case 'informReceived':
      case 'acsTurn':
      case 'ended':
        return this.#reject('UNEXPECTED_MESSAGE', `no message expected in state ${this.#state}`, message);
    }
  }

  /**
   * Accept the Inform. With `holdRequests`, the CPE must not send its requests until we
   * release it (TR-069 A.4.1), so queued ACS work goes first.
   */
  acceptInform(opts: { holdRequests?: boolean } = {}): Envelope {
    if (this.#negotiated.kind === 'incompatible') {
      throw new ProtocolError('ILLEGAL_STATE', 'no CWMP version in common: answer with versionFault()', 'local');
    }
    this.#move('accept');
    this.#hold = opts.holdRequests === true;
    const header: CwmpHeader = { id: this.#informId };
    if (this.#hold) header.holdRequests = true;
    // CWMP 1.4 (A.2.1, A.4.1): the ACS states the version it uses when the CPE offered a list,
    // and from this message on both sides speak that version's namespace.
    if (this.#negotiated.kind === 'agreed') {
      header.useCwmpVersion = this.#negotiated.version;
      this.#namespace = this.#negotiated.namespace;
    }
    const body: AcsResponse = { method: 'InformResponse', maxEnvelopes: 1 };
    return { namespace: this.#namespace, header, body };
  }

  /** Refuse the Inform with an ACS fault (8005 retry when the device is busy, 8001 denied …). */
  rejectInform(faultCode: number, message?: string): Envelope<Fault> {
    this.#move('reject');
    return this.#fault(this.#informId, faultCode, message ?? faultString(faultCode), faultcodeFor(faultCode));
  }

  /**
   * Refuse an Inform whose SupportedCWMPVersions has nothing in common with ours: fault 8006,
   * in the namespace the CPE used, naming what we speak.
   */
  versionFault(): Envelope<Fault> {
    const n = this.#negotiated;
    const offered = n.kind === 'incompatible' ? n.offered.join(',').slice(0, 100) : '';
    return this.rejectInform(8006, `ACS version incompatible with CPE: the ACS speaks ${this.#versions.join(',')}, the CPE offered ${offered === '' ? 'no known version' : offered}`);
  }

  /** Send one ACS request; its answer comes in the next POST. */
  sendRequest(request: AcsRequest, tag: string | null = null): Envelope {
    this.#move('sendRequest');
    const id = `${this.#idPrefix}-${++this.#counter}`;
    this.#pending = { request, tag, id };
    const header: CwmpHeader = { id };
    if (this.#hold) header.holdRequests = true;
    return { namespace: this.#namespace, header, body: request };
  }

  /**
   * Nothing more to send: the HTTP layer answers 204. If we were holding the CPE's requests,
   * the session stays open for them (`released`, TR-069 3.7.1.4); otherwise it is over.
   */
  finish(): AcsSessionState {
    // Any CPE that obeyed the hold may have requests we never heard of (a TransferComplete
    // retried without its event, a GetRPCMethods): the session stays open for them until the
    // CPE's empty POST (TR-069 3.7.1.4), never cut off by our 204.
    const held = this.#hold;
    this.#hold = false;
    if (held) {
      this.#move('finishHeld');
    } else {
      this.#move('finish');
    }
    return this.#state;
  }

  #receiveEmpty(): Received {
    switch (this.#state) {
      case 'cpeRequests':
        this.#move('emptyPost');
        return { kind: 'acsTurn', completed: null };
      case 'released':
        this.#move('emptyPost');
        return { kind: 'ended' };
      case 'awaitingResponse': {
        // A CPE that answers our request with an empty POST has dropped it (seen in the
        // field after a CPE-side error). Count it as a fault so the request is not lost.
        const completed = this.#complete({
          ok: false,
          faultcode: 'Client',
          fault: { faultCode: 9002, faultString: 'CPE sent an empty message instead of a response', setParameterValuesFault: [] },
        });
        this.#move('cpeFault');
        return { kind: 'acsTurn', completed };
      }
      default:
        return this.#reject('UNEXPECTED_MESSAGE', `empty POST not expected in state ${this.#state}`, null);
    }
  }

  #receiveCpeRequest(message: Envelope): Received {
    const body = message.body;
    const id = message.header.id;
    // A request sent in spite of HoldRequests is answered and recorded, not faulted: some CPEs
    // ignore the hold, and one of them loses its TransferComplete when it is refused.
    switch (body.method) {
      case 'TransferComplete':
        return this.#answer(body, { method: 'TransferCompleteResponse' }, id);
      case 'AutonomousTransferComplete':
        return this.#answer(body, { method: 'AutonomousTransferCompleteResponse' }, id);
      case 'RequestDownload':
        return this.#answer(body, { method: 'RequestDownloadResponse' }, id);
      case 'Kicked':
        // We serve no kick pages; send the browser on to where the CPE said it wanted to go.
        return this.#answer(body, { method: 'KickedResponse', nextURL: body.next }, id);
      case 'GetRPCMethods':
        return this.#answer(body, { method: 'GetRPCMethodsResponse', methodList: [...ACS_SUPPORTED_METHODS] }, id);
      case 'DUStateChangeComplete':
        return this.#answer(body, { method: 'DUStateChangeCompleteResponse' }, id);
      case 'AutonomousDUStateChangeComplete':
        return this.#answer(body, { method: 'AutonomousDUStateChangeCompleteResponse' }, id);
      case 'Unknown':
        // TR-069 A.5.1: a method the ACS does not support gets fault 8000; the session goes on.
        return { kind: 'unsupported', name: body.name, reply: this.#fault(id, 8000, `Method not supported: ${body.name}`, 'Client') };
      case 'Inform':
        return this.#reject('UNEXPECTED_MESSAGE', 'a second Inform in one session', message, 8003);
      default:
        return this.#reject('UNEXPECTED_MESSAGE', `${body.method} is not a CPE request`, message, 8003);
    }
  }

  #receiveResponse(message: Envelope): Received {
    const pending = this.#pending;
    if (pending === null) return this.#reject('ILLEGAL_STATE', 'no request pending', message);
    const body = message.body;
    if (body.method === 'Fault') {
      const completed = this.#complete({ ok: false, fault: body.detail, faultcode: body.faultcode });
      this.#move('cpeFault');
      return { kind: 'acsTurn', completed };
    }
    const expected = ACS_REQUEST_RESPONSE[pending.request.method];
    if (body.method !== expected) {
      return this.#reject('UNEXPECTED_MESSAGE', `expected ${expected}, got ${body.method}`, message, 8003);
    }
    const completed = this.#complete({ ok: true, response: body as CpeResponse });
    this.#move('cpeResponse');
    return { kind: 'acsTurn', completed };
  }

  /** Only called where a request is pending (awaitingResponse). */
  #complete(outcome: RpcOutcome): RpcCompletion {
    const pending = this.#pending;
    if (pending === null) throw new ProtocolError('ILLEGAL_STATE', 'no request pending', 'local');
    this.#pending = null;
    return { request: pending.request, tag: pending.tag, outcome };
  }

  #answer(request: Exclude<CpeRequest, Inform>, response: AcsResponse, id: string | undefined): Received {
    this.#move('cpeRequest');
    return { kind: 'cpeRequest', request, reply: { namespace: this.#namespace, header: idHeader(id), body: response } };
  }

  #reject(
    code: ConstructorParameters<typeof ProtocolError>[0],
    message: string,
    envelope: Envelope | null,
    faultCode?: number,
  ): Received {
    const error = new ProtocolError(code, message);
    const reply = envelope === null ? null : this.#fault(envelope.header.id, faultCode ?? error.cwmpFault, message, 'Client');
    return { kind: 'rejected', error, reply };
  }

  #fault(id: string | undefined, faultCode: number, message: string, faultcode: Fault['faultcode']): Envelope<Fault> {
    return {
      namespace: this.#namespace,
      header: idHeader(id),
      body: {
        method: 'Fault',
        faultcode,
        faultstring: 'CWMP fault',
        detail: { faultCode, faultString: message, setParameterValuesFault: [] },
      },
    };
  }

  #move(event: AcsSessionEvent): void {
    const next = TRANSITIONS[this.#state][event];
    if (next === undefined) {
      throw new ProtocolError('ILLEGAL_STATE', `${event} is not allowed in state ${this.#state}`, 'local');
    }
    this.#state = next;
  }
}

/** Whether `event` is allowed in `state` (for drivers that want to ask first). */
export function canStep(state: AcsSessionState, event: AcsSessionEvent): boolean {
  return TRANSITIONS[state][event] !== undefined;
}

function idHeader(id: string | undefined): CwmpHeader {
  return id === undefined ? {} : { id };
}
