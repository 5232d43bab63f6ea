/** The part of the `stun` package (no types of its own) Flotilla uses: framing responses and reading them. */
declare module 'stun' {
  export interface StunAddress {
    address: string;
    port: number;
    family: 'IPv4' | 'IPv6';
  }
  export interface StunAttribute {
    type: number;
    value: unknown;
  }
  export interface StunMessage {
    readonly type: number;
    readonly transactionId: Buffer;
    addAttribute(type: number, ...args: unknown[]): StunAttribute;
    addXorAddress(address: string, port: number): StunAttribute;
    addAddress(address: string, port: number): StunAttribute;
    addError(code: number, reason?: string): StunAttribute;
    addMessageIntegrity(key: string): StunAttribute;
    addFingerprint(): StunAttribute;
    getAttribute(type: number): StunAttribute | undefined;
    getXorAddress(): StunAddress | undefined;
    getAddress(): StunAddress | undefined;
    getError(): { code: number; reason: string } | undefined;
    isLegacy(): boolean;
  }
  export function createMessage(type: number, transactionId?: Buffer): StunMessage;
  export function encode(message: StunMessage): Buffer;
  export function decode(buf: Buffer): StunMessage;
  export function validateMessageIntegrity(message: StunMessage, key: string): boolean;
  export function validateFingerprint(message: StunMessage): boolean;
  export function request(url: string, opts?: Record<string, unknown>): Promise<StunMessage>;
  export const constants: Record<string, number>;
  const stun: {
    createMessage: typeof createMessage;
    encode: typeof encode;
    decode: typeof decode;
    validateMessageIntegrity: typeof validateMessageIntegrity;
    validateFingerprint: typeof validateFingerprint;
    request: typeof request;
    constants: typeof constants;
  };
  export default stun;
}
