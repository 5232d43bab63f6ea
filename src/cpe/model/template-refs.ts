/**
 * Ref lists that every device whose tree still has its template's shape can share: one frozen
 * list per template and object path (a template object's children in device.ts, the walk
 * below an object in ../rpc/walk.ts). Keyed weakly by template, so a model's lists go with it.
 */
import type { Ref } from './ops.js';
import type { Template } from './template.js';

export class TemplateRefLists {
  readonly #byTemplate = new WeakMap<Template, Map<string, readonly Ref[]>>();

  /** The list of `path` under `template`, made (and frozen) by `make` the first time. */
  get(template: Template, path: string, make: () => Ref[]): readonly Ref[] {
    let byPath = this.#byTemplate.get(template);
    if (byPath === undefined) this.#byTemplate.set(template, (byPath = new Map()));
    let list = byPath.get(path);
    if (list === undefined) byPath.set(path, (list = Object.freeze(make())));
    return list;
  }
}
