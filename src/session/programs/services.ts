/**
 * A subscriber's services on the device bound to it, as a session program. It runs when the
 * device was just claimed (new or swapped), came back with 0 BOOTSTRAP (a factory reset), or
 * has not received the subscriber's latest services revision; otherwise the factory does not
 * build it, so an idle periodic session costs nothing more (openSession reads the binding in
 * its own round trip).
 *
 * Each service renders against the device's tree (learnt this session, else stored) into one
 * SetParameterValues: TR-069 applies one atomically, so a refused service leaves nothing half
 * applied. A service the model cannot carry is "not supported" and sends nothing.
 */
import type { RpcOutcome } from '../../cwmp/acs-session.js';
import type { ParameterValue, XsdType } from '../../cwmp/types.js';
import type { ServiceStatus, SessionSubscriber } from '../../store/types.js';
import { checkInputs } from '../../subscribers/inputs.js';
import { render, type TreeEntry, type TreeLookup } from '../../subscribers/render.js';
import type { ServiceTemplate } from '../../subscribers/template.js';
import { mappingPrefixes } from '../../subscribers/prefixes.js';
import type { Program, ProgramRpc, SessionView } from '../program.js';

export interface ServicesApplied {
  deviceId: string;
  subscriberId: string;
  bindingId: string;
  revision: number;
  statuses: ServiceStatus[];
}

export interface ServicesProgramOptions {
  templates: (id: string, sub: SessionSubscriber) => ServiceTemplate | undefined;
  /** Told once, when every service was tried (the ACS records it: src/acs/session.ts). */
  applied: (r: ServicesApplied) => void;
}

export class ServicesProgram implements Program {
  readonly name = 'services';
  readonly storedPaths: readonly string[];
  readonly #view: SessionView;
  readonly #sub: SessionSubscriber;
  readonly #opts: ServicesProgramOptions;
  #pending: { template: string; parameters: ParameterValue[] }[] | null = null;
  #asked: string | null = null;
  readonly #statuses: ServiceStatus[] = [];
  #done = false;

  /** `readStored`: the stored tree is current (not a bootstrap, whose discovery reads it anew). */
  constructor(view: SessionView, sub: SessionSubscriber, opts: ServicesProgramOptions, readStored: boolean) {
    this.#view = view;
    this.#sub = sub;
    this.#opts = opts;
    this.storedPaths = readStored ? mappingPrefixes(sub.services.map((s) => opts.templates(s.template, sub)).filter((t): t is ServiceTemplate => t !== undefined)) : [];
  }

  next(): ProgramRpc | null {
    if (this.#pending === null) this.#pending = this.#plan();
    const step = this.#pending.shift();
    if (step === undefined) {
      this.#finish();
      return null;
    }
    this.#asked = step.template;
    const key = `svc-${this.#sub.revision}`;
    return { request: { method: 'SetParameterValues', parameterList: step.parameters, parameterKey: key }, requestId: null };
  }

  learn(answer: RpcOutcome): void {
    const template = this.#asked ?? '';
    this.#asked = null;
    const at = this.#view.now();
    if (answer.ok) this.#statuses.push({ template, state: 'applied', at });
    else {
      const detail = answer.fault.setParameterValuesFault.map((f) => `${f.parameterName}: ${f.faultCode} ${f.faultString}`).join('; ');
      this.#statuses.push({ template, state: 'faulted', fault: { code: answer.fault.faultCode, message: detail || answer.fault.faultString }, at });
    }
  }

  #plan(): { template: string; parameters: ParameterValue[] }[] {
    const tree = this.#tree();
    const steps: { template: string; parameters: ParameterValue[] }[] = [];
    const at = this.#view.now();
    for (const service of this.#sub.services) {
      const template = this.#opts.templates(service.template, this.#sub);
      if (template === undefined) {
        this.#statuses.push({ template: service.template, state: 'not-supported', reason: `no template "${service.template}"`, at });
        continue;
      }
      const inputs = checkInputs(template, service.inputs);
      if (!inputs.ok) {
        this.#statuses.push({ template: service.template, state: 'not-supported', reason: `inputs: ${inputs.errors.map((e) => `${e.input} ${e.message}`).join('; ')}`, at });
        continue;
      }
      const r = render(template, inputs.values, tree);
      if (!r.supported) {
        this.#statuses.push({ template: service.template, state: 'not-supported', reason: r.reason, at });
        continue;
      }
      if (r.parameters.length > 0) {
        steps.push({ template: service.template, parameters: r.parameters.map(([name, value, type]) => ({ name, value, type: type as XsdType })) });
      } else this.#statuses.push({ template: service.template, state: 'applied', at });
    }
    return steps;
  }

  /** This session's answers first (a bootstrap's discovery), then the stored rows read for us. */
  #tree(): TreeLookup {
    const view = this.#view;
    return {
      get: (path): TreeEntry | undefined => {
        const l = view.learnt(path);
        if (l !== undefined) return { value: l.value, type: l.type };
        const s = view.stored(path);
        return s === undefined || s.object ? undefined : { value: s.value ?? '', type: s.type ?? undefined };
      },
      *under(prefix) {
        const seen = new Set<string>();
        for (const p of view.learntUnder(prefix)) {
          seen.add(p);
          yield p;
        }
        for (const s of view.storedUnder(prefix)) if (!s.object && !seen.has(s.path)) yield s.path;
      },
    };
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#opts.applied({
      deviceId: this.#view.deviceId,
      subscriberId: this.#sub.subscriberId,
      bindingId: this.#sub.binding.id,
      revision: this.#sub.revision,
      statuses: this.#statuses,
    });
  }
}
