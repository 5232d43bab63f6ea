/** The part of `@xmpp/client` (no types of its own) Flotilla uses. */
declare module '@xmpp/client' {
  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): Element[];
    getText(): string;
    toString(): string;
  }
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Element | string)[]): Element;
  export interface Jid {
    toString(): string;
    bare(): Jid;
    local: string;
    domain: string;
    resource: string;
  }
  export function jid(s: string): Jid;
  export interface IqContext {
    stanza: Element;
    element: Element;
    from: Jid;
    to: Jid;
  }
  export interface MiddlewareContext {
    stanza: Element;
    from: Jid | null;
  }
  export interface XmppClient {
    jid: Jid | null;
    status: string;
    start(): Promise<Jid>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
    on(event: 'online', cb: (address: Jid) => void): this;
    on(event: 'offline', cb: () => void): this;
    on(event: 'error', cb: (err: Error) => void): this;
    on(event: 'stanza', cb: (el: Element) => void): this;
    on(event: 'status', cb: (status: string) => void): this;
    reconnect: { delay: number; stop(): void };
    iqCaller: { request(el: Element, timeoutMs?: number): Promise<Element> };
    iqCallee: {
      get(ns: string, name: string, handler: (ctx: IqContext) => Element | object | Promise<Element | object>): void;
      set(ns: string, name: string, handler: (ctx: IqContext) => Element | object | Promise<Element | object>): void;
    };
    middleware: { use(fn: (ctx: MiddlewareContext, next: () => Promise<unknown>) => unknown): void };
  }
  export function client(opts: { service: string; domain?: string; username?: string; password?: string; resource?: string; timeout?: number }): XmppClient;
}
