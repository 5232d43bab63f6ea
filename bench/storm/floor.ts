/**
 * The floor server: answers each HTTP exchange of a periodic session with canned bytes (an
 * InformResponse to the Inform, 204 to the empty POST), no parsing, no store. What the
 * simulator achieves against it is the most this machine and this client can do, the
 * yardstick the ACS's figure is divided by.
 *
 * Run as a child process (`node dist/bench/storm/floor.js <port>`) so it has a core of its
 * own like `flotilla serve`; it prints "listening <port>" when ready.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const INFORM_RESPONSE = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">' +
    '<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">1</cwmp:ID></soap-env:Header>' +
    '<soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse></soap-env:Body></soap-env:Envelope>',
);
const HEADERS = { 'content-type': 'text/xml; charset="utf-8"', 'content-length': String(INFORM_RESPONSE.length) };

export function startFloor(port: number, host = '127.0.0.1'): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      if (bytes > 0) res.writeHead(200, HEADERS).end(INFORM_RESPONSE);
      else res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const server = await startFloor(Number(process.argv[2] ?? 0));
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  const stop = (): void => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
