/**
 * InstanceMode (TR-069 3.6.1, Amendment 5): how a CPE that declares AliasBasedAddressing
 * names instances in the path names it returns. `InstanceNumber` (the factory default):
 * "Device.NAT.PortMapping.1.ExternalPort"; `InstanceAlias`: "Device.NAT.PortMapping.[web].ExternalPort",
 * every instance segment of a table whose instances have a non-empty Alias. Requests may use
 * either form in both modes; AddObjectResponse always carries the number.
 *
 * Applied to GetParameterNames / GetParameterValues / GetParameterAttributes answers and to
 * the Inform's ParameterList. A module of the model (not rpc) so the Inform can use it.
 */
import type { DeviceOps, Ref } from './ops.js';
import type { TParam } from './template.js';

function flag(ops: DeviceOps, name: string): string {
  const ref = ops.lookup(`${ops.template.root}ManagementServer.${name}`);
  return ref?.node.kind === 'param' ? ops.valueOf(ref as Ref<TParam>) : '';
}

/** True when answers name instances by alias (AliasBasedAddressing and InstanceMode InstanceAlias). */
export function reportsByAlias(ops: DeviceOps): boolean {
  return /^(1|true)$/i.test(flag(ops, 'AliasBasedAddressing')) && flag(ops, 'InstanceMode') === 'InstanceAlias';
}

/**
 * Paths as this device reports them: a function from a numbered path to its alias form. One
 * per answer: instances already looked up are remembered (a 5,000-name GetParameterValues
 * asks about the same few instances again and again).
 */
export function aliasPresenter(ops: DeviceOps): (path: string) => string {
  const seen = new Map<string, string | null>();
  return (path) => {
    const segs = path.split('.');
    let numbered = '';
    let out = '';
    let changed = false;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const last = i === segs.length - 1;
      let shown = seg;
      if (!last && /^\d+$/.test(seg)) {
        const instance = `${numbered}${seg}.`;
        let alias = seen.get(instance);
        if (alias === undefined) {
          const ref = ops.lookup(`${instance}Alias`);
          const v = ref?.node.kind === 'param' ? ops.valueOf(ref as Ref<TParam>) : '';
          // A bracket in an alias would make an unreadable path: such an instance keeps its number.
          alias = v !== '' && !/[[\].]/.test(v) ? v : null;
          seen.set(instance, alias);
        }
        if (alias !== null) {
          shown = `[${alias}]`;
          changed = true;
        }
      }
      numbered += last ? seg : `${seg}.`;
      out += last ? shown : `${shown}.`;
    }
    return changed ? out : path;
  };
}
