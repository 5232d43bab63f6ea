/** A server-sent-events client for tests: what a stream delivered, in order. */

export interface SseEvent {
  id: string;
  type: string;
  deviceId: string;
  data: Record<string, unknown>;
}

/** Read a server-sent-events stream into `events` until `close()`. */
export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<{ events: SseEvent[]; contentType: string | null; close: () => Promise<void> }> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers, signal: ctrl.signal });
  if (res.status !== 200 || res.body === null) throw new Error(`event stream: HTTP ${res.status}`);
  const events: SseEvent[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)) as SseEvent);
      }
    }
  })().catch(() => undefined);
  return {
    events,
    contentType: res.headers.get('content-type'),
    close: async () => {
      ctrl.abort();
      await reading;
    },
  };
}
