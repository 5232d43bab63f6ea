/**
 * A service template: what an operator sells (Wi-Fi, Internet over PPPoE, a SIP line, IPTV,
 * the management server's settings), written once with typed inputs and mapped onto both
 * data-model roots. A template is plain data, so operators add their own through the API
 * with the same expressive power as the shipped ones (./builtin.ts).
 *
 * A mapping says, for one root:
 * - `select`: instances the service lives on, found by matching their parameters
 *   ("the SSID whose radio is the 5 GHz one"), never by a fixed instance number; each
 *   selection binds a variable to the instance's path ("Device.WiFi.SSID.2.");
 * - `set`: the parameters to write, with `${input}` and `${variable}` substitutions. A `path`
 *   may list candidates (vendor spellings): the first that the device has is used.
 * A required selection or parameter the device lacks makes the service "not supported on
 * this model", and nothing of it is written.
 */

export type InputType = 'string' | 'secret' | 'integer' | 'boolean' | 'enum' | 'host';

export interface TemplateInput {
  name: string;
  type: InputType;
  description?: string;
  required?: boolean;
  /** Used when the input is absent (as a string, like every CWMP value). */
  default?: string;
  /** string, secret, host: length bounds. */
  minLength?: number;
  maxLength?: number;
  /** integer: inclusive bounds. */
  min?: number;
  max?: number;
  /** enum: the allowed values. */
  values?: string[];
}

export interface Selection {
  /** The table, as its instance path with "{i}": "Device.WiFi.SSID.{i}.". */
  table: string;
  /**
   * Parameters (relative to the instance) and the values they must have, after
   * substitution. A value starting with "~" is a regular expression.
   */
  where?: Record<string, string>;
  /** A selection that finds nothing skips the `set` entries that use it instead of failing. */
  optional?: boolean;
}

export interface ParameterMapping {
  /** A path, or candidates tried in order; `${var}` is a selected instance's path. */
  path: string | string[];
  /** The value, with `${input}` substitutions. */
  value: string;
  /** xsd type to send when the device's tree does not say (default: the tree's, else string). */
  type?: string;
  /** Only when this input has a value. */
  when?: string;
  /** A device without any candidate path skips this entry instead of failing. */
  optional?: boolean;
}

/** A value looked up from an input: `${name}` then means map[inputs[from]]. */
export interface Derivation {
  from: string;
  map: Record<string, string>;
}

export interface Mapping {
  /** Values computed from inputs by table (a TR-098 BeaconType from a security mode). */
  derive?: Record<string, Derivation>;
  select?: Record<string, Selection>;
  set: ParameterMapping[];
}

export type Root = 'InternetGatewayDevice.' | 'Device.';

export interface ServiceTemplate {
  id: string;
  name: string;
  description?: string;
  /** Shipped with Flotilla (read-only) or added by an operator. */
  builtin?: boolean;
  inputs: TemplateInput[];
  /** At least one root. TR-098 devices with a TR-104 voice service use the IGD root. */
  mappings: Partial<Record<Root, Mapping>>;
}

export const TEMPLATE_ID = /^[a-z][a-z0-9-]{0,62}$/;
