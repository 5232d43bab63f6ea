/**
 * The CPE side of one CWMP session (TR-069 3.7), as a state machine with no I/O.
 *
 * The mirror of `acs-session.ts`: the transport feeds each HTTP response of the ACS to
 * `receive` (an envelope, or `null` for an empty body) and POSTs what the machine hands
 * back (an envelope, or `null` for an empty POST). What to send on the CPE's turn (its own
 * requests, the answer to an ACS request) is the driver's decision; the machine only checks
 * that the decision is legal in the current state and builds the envelope around it.
 *
 * States are one string-literal union; every legal move is one row of `TRANSITIONS`. An
 * illegal move returns a ProtocolError (side `local` when we asked for it, `remote` when the
 * ACS sent something out of turn) and leaves the state as it was; `fail` ends the session
 * from any live state.
 */
import { ProtocolError, err, ok, type Result } from './errors.js';
import { faultBody } from './rpc/fault.js';
import {
  ACS_REQUEST_RESPONSE,
  CPE_REQUEST_RESPONSE,
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
import { highestVersion, namespaceForVersion, parseVersionList } from './versions.js';

export type CpeSessionState =
  /** Nothing sent yet. */
  | 'idle'
  /** The Inform is out; the next response must be InformResponse (or an ACS fault). */
  | 'informing'
  /** The CPE holds the floor: it sends one of its requests or an empty POST. */
  | 'cpeTurn'
  /** One CPE request (TransferComplete, …) is out, awaiting its response. */
  | 'requestSent'
  /** The CPE has sent an empty POST or an answer; the ACS sends a request or ends. */
  | 'awaitingAcs'
  /** An ACS request arrived; the CPE must answer it in its next POST. */
  | 'answering'
  /** The ACS sent an empty response; the CPE may still send requests it was holding (3.7.1.4). */
  | 'ending'
  | 'ended'
  | 'failed';

export type CpeSessionEvent =
  | 'sendInform'
  | 'informResponse'
  | 'informFault'
  | 'sendRequest'
  | 'requestResponse'
  | 'requestFault'
  | 'sendEmpty'
  | 'acsRequest'
  | 'sendResponse'
  | 'emptyResponse'
  | 'finish'
  | 'fail';

const TRANSITIONS: { readonly [S in CpeSessionState]: Partial<Record<CpeSessionEvent, CpeSessionState>> } = {
  idle: { sendInform: 'informing', fail: 'failed' },
  informing: { informResponse: 'cpeTurn', informFault: 'failed', fail: 'failed' },
  cpeTurn: { sendRequest: 'requestSent', sendEmpty: 'awaitingAcs', fail: 'failed' },
  // An ACS fault to our request (8005 retry …) does not end the session: the request stays
  // queued in the driver for a later session and the CPE carries on (A.5, 3.7.1.5).
  requestSent: { requestResponse: 'cpeTurn', requestFault: 'cpeTurn', fail: 'failed' },
  awaitingAcs: { acsRequest: 'answering', emptyResponse: 'ending', fail: 'failed' },
  answering: { sendResponse: 'awaitingAcs', fail: 'failed' },
  ending: { sendRequest: 'requestSent', finish: 'ended', fail: 'failed' },
  ended: {},
  failed: {},
};

/** Whether `event` is legal in `state` (the table, for drivers and tests that ask first). */
export function canStep(state: CpeSessionState, event: CpeSessionEvent): boolean {
  return TRANSITIONS[state][event] !== undefined;
}

/** Pure table lookup: the next state, or a local ILLEGAL_STATE error. */
export function step(state: CpeSessionState, event: CpeSessionEvent): Result<CpeSessionState> {
  const next = TRANSITIONS[state][event];
  if (next === undefined) return err(new ProtocolError('ILLEGAL_STATE', `${event} is not allowed in state ${state}`, 'local'));
  return ok(next);
}

export type CpeOwnRequest = Exclude<CpeRequest, Inform>;

/** What the machine made of one ACS response. */
export type CpeReceived =
  | { kind: 'informAccepted'; holdRequests: boolean; maxEnvelopes: number; header: CwmpHeader }
  | { kind: 'requestAccepted'; request: CpeOwnRequest; response: AcsResponse }
  /** The ACS faulted our request; it stays undelivered. */
  | { kind: 'requestFaulted'; request: CpeOwnRequest; fault: Fault }
  /** The driver must answer with `respond`. */
  | { kind: 'acsRequest'; request: AcsRequest }
  /** A method we do not know: the machine has already built the 9000 fault to POST. */
  | { kind: 'unsupported'; name: string; reply: Envelope<Fault> }
  /** The ACS has nothing more; the driver calls `finish` or sends a held request. */
  | { kind: 'acsDone' };

export interface CpeSessionOptions {
  /**
   * The namespace of the Inform; the ACS answers in the one the CPE used (A.2.1). Default: the
   * namespace of the highest of `supportedCwmpVersions`, else cwmp-1-0.
   */
  namespace?: CwmpNamespace;
  /** Prefix of the cwmp:ID values we put on our requests. */
  idPrefix?: string;
  /** Quirk: put the deprecated NoMoreRequests header on the Inform (CWMP 1.0 devices do). */
  noMoreRequests?: boolean;
  /**
   * CWMP 1.4: announce the versions we speak ("1.0,1.4") in the Inform header. The ACS's
   * UseCWMPVersion then picks the namespace of the rest of the session; a version we did not
   * offer fails the session.
   */
  supportedCwmpVersions?: string;
}

export class CpeSession {
  #state: CpeSessionState = 'idle';
  #namespace: CwmpNamespace;
  #idPrefix: string;
  #noMoreRequests: boolean;
  #versions: string | undefined;
  #version: string | null = null;
  #counter = 0;
  #hold = false;
  /** The CPE request awaiting its response (requestSent). */
  #pending: CpeOwnRequest | null = null;
  /** The cwmp:ID of the ACS request being answered; the answer carries the same ID (A.4.1). */
  #acsId: string | undefined;
  #acsMethod: AcsRequest['method'] | null = null;

  constructor(opts: CpeSessionOptions = {}) {
    const highest = opts.supportedCwmpVersions === undefined ? null : highestVersion(parseVersionList(opts.supportedCwmpVersions));
    this.#namespace = opts.namespace ?? (highest === null ? null : namespaceForVersion(highest)) ?? 'urn:dslforum-org:cwmp-1-0';
    this.#idPrefix = opts.idPrefix ?? 'cpe';
    this.#noMoreRequests = opts.noMoreRequests === true;
    this.#versions = opts.supportedCwmpVersions;
  }

  get state(): CpeSessionState {
    return this.#state;
  }

  get namespace(): CwmpNamespace {
    return this.#namespace;
  }

  /** The version the ACS chose with UseCWMPVersion (null: none said, an older ACS or CPE). */
  get cwmpVersion(): string | null {
    return this.#version;
  }

  /** HoldRequests as set by the last ACS message; an empty response clears it (A.4.1). */
  get holdRequests(): boolean {
    return this.#hold;
  }

  /** Open the session. */
  inform(inform: Inform): Result<Envelope> {
    const moved = this.#move('sendInform');
    if (!moved.ok) return moved;
    const header: CwmpHeader = { id: this.#nextId() };
    if (this.#noMoreRequests) header.noMoreRequests = true;
    if (this.#versions !== undefined) header.supportedCwmpVersions = this.#versions;
    return ok({ namespace: this.#namespace, header, body: inform });
  }

  /** Send one of the CPE's own requests (on its turn, unless the ACS holds them). */
  sendRequest(request: CpeOwnRequest): Result<Envelope> {
    if (this.#hold) return err(new ProtocolError('ILLEGAL_STATE', 'the ACS holds our requests (HoldRequests)', 'local'));
    const moved = this.#move('sendRequest');
    if (!moved.ok) return moved;
    this.#pending = request;
    return ok({ namespace: this.#namespace, header: { id: this.#nextId() }, body: request });
  }

  /** Give the floor to the ACS: the HTTP layer sends an empty POST. */
  sendEmpty(): Result<null> {
    const moved = this.#move('sendEmpty');
    return moved.ok ? ok(null) : moved;
  }

  /** Answer the ACS request received last (a response of the matching method, or a fault). */
  respond(answer: CpeResponse | Fault): Result<Envelope> {
    if (this.#state === 'answering' && answer.method !== 'Fault' && this.#acsMethod !== null) {
      const expected = ACS_REQUEST_RESPONSE[this.#acsMethod];
      if (answer.method !== expected) {
        return err(new ProtocolError('ILLEGAL_STATE', `${this.#acsMethod} must be answered with ${expected}, not ${answer.method}`, 'local'));
      }
    }
    const moved = this.#move('sendResponse');
    if (!moved.ok) return moved;
    const header: CwmpHeader = this.#acsId === undefined ? {} : { id: this.#acsId };
    this.#acsId = undefined;
    this.#acsMethod = null;
    return ok({ namespace: this.#namespace, header, body: answer });
  }

  /** Close a session the ACS has ended, once the CPE has nothing more to send. */
  finish(): Result<CpeSessionState> {
    const moved = this.#move('finish');
    return moved.ok ? ok(this.#state) : moved;
  }

  /** End the session from any live state (transport error, timeout, protocol error). */
  fail(): void {
    if (canStep(this.#state, 'fail')) this.#state = 'failed';
  }

  /** Feed one ACS response: an envelope, or null for an empty HTTP body. */
  receive(message: Envelope | null): Result<CpeReceived> {
    if (message === null) return this.#receiveEmpty();
    const body = message.body;
    switch (this.#state) {
      case 'informing':
        if (body.method === 'InformResponse') {
          const agreed = this.#agree(message);
          if (!agreed.ok) return agreed;
          this.#hold = message.header.holdRequests === true;
          this.#move('informResponse');
          return ok({ kind: 'informAccepted', holdRequests: this.#hold, maxEnvelopes: body.maxEnvelopes, header: message.header });
        }
        if (body.method === 'Fault') {
          // 8005 retry, 8001 denied …: the session is over; the driver backs off (3.7.1.5).
          this.#move('informFault');
          return err(new ProtocolError('UNEXPECTED_MESSAGE', `ACS fault ${body.detail.faultCode} to Inform: ${body.detail.faultString}`));
        }
        return remote(`expected InformResponse, got ${body.method}`);
      case 'requestSent':
        return this.#receiveRequestAnswer(message);
      case 'awaitingAcs':
        return this.#receiveAcsRequest(message);
      case 'idle':
      case 'cpeTurn':
      case 'answering':
      case 'ending':
      case 'ended':
      case 'failed':
        return remote(`no ACS message expected in state ${this.#state} (got ${body.method})`);
    }
  }

  /**
   * Version negotiation (A.2.1): with our list offered, the ACS's UseCWMPVersion must be one of
   * ours and its namespace is spoken from now on; without UseCWMPVersion (an older ACS) we
   * carry on in the namespace it answered in. Without a list we ignore the header, as before.
   */
  #agree(message: Envelope): Result<true> {
    if (this.#versions === undefined) return ok(true);
    const chosen = message.header.useCwmpVersion;
    if (chosen === undefined) {
      this.#namespace = message.namespace;
      return ok(true);
    }
    const ns = parseVersionList(this.#versions).includes(chosen) ? namespaceForVersion(chosen) : null;
    if (ns === null) {
      this.#move('fail');
      return remote(`the ACS chose CWMP version "${chosen.slice(0, 20)}", which we did not offer (${this.#versions})`);
    }
    this.#version = chosen;
    this.#namespace = ns;
    return ok(true);
  }

  #receiveEmpty(): Result<CpeReceived> {
    if (this.#state !== 'awaitingAcs') return remote(`empty response not expected in state ${this.#state}`);
    this.#hold = false;
    this.#move('emptyResponse');
    return ok({ kind: 'acsDone' });
  }

  #receiveRequestAnswer(message: Envelope): Result<CpeReceived> {
    const request = this.#pending;
    if (request === null) return err(new ProtocolError('ILLEGAL_STATE', 'no CPE request pending', 'local'));
    const body = message.body;
    if (body.method === 'Fault') {
      this.#hold = message.header.holdRequests === true;
      this.#pending = null;
      this.#move('requestFault');
      return ok({ kind: 'requestFaulted', request, fault: body });
    }
    const expected = CPE_REQUEST_RESPONSE[request.method];
    if (body.method !== expected) return remote(`expected ${expected}, got ${body.method}`);
    this.#hold = message.header.holdRequests === true;
    this.#pending = null;
    this.#move('requestResponse');
    return ok({ kind: 'requestAccepted', request, response: body as AcsResponse });
  }

  #receiveAcsRequest(message: Envelope): Result<CpeReceived> {
    const body = message.body;
    if (body.method === 'Unknown') {
      this.#hold = message.header.holdRequests === true;
      this.#acsId = message.header.id;
      this.#move('acsRequest');
      const reply = this.respond(faultBody(9000, `Method not supported: ${body.name}`));
      if (!reply.ok) return reply;
      return ok({ kind: 'unsupported', name: body.name, reply: reply.value as Envelope<Fault> });
    }
    if (!isAcsRequest(body)) return remote(`${body.method} is not an ACS request`);
    this.#hold = message.header.holdRequests === true;
    this.#acsId = message.header.id;
    this.#acsMethod = body.method;
    this.#move('acsRequest');
    return ok({ kind: 'acsRequest', request: body });
  }

  #nextId(): string {
    return `${this.#idPrefix}-${++this.#counter}`;
  }

  #move(event: CpeSessionEvent): Result<CpeSessionState> {
    const next = step(this.#state, event);
    if (next.ok) this.#state = next.value;
    return next;
  }
}

function remote(message: string): Result<never> {
  return err(new ProtocolError('UNEXPECTED_MESSAGE', message, 'remote'));
}

function isAcsRequest(body: Envelope['body']): body is AcsRequest {
  return Object.prototype.hasOwnProperty.call(ACS_REQUEST_RESPONSE, body.method);
}
