/**
 * The files a CPE uploads (TR-069 A.3.2.9 FileType): a vendor configuration file is a dump
 * of the writable parameters (what a config backup must restore), a vendor log file a few
 * syslog-style lines about the device's recent life. Both are generated on demand from the
 * model, so a device keeps no log in memory.
 */
import type { CpeDataModel } from '../types.js';

export interface GeneratedFile {
  body: Buffer;
  contentType: string;
}

export interface LogFacts {
  serialNumber: string;
  bootedAt: number;
  sessions: number;
  lastEvents: string[];
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : '&quot;'));
}

/** All writable parameters of the device as a small XML document. */
export function configFile(model: CpeDataModel): GeneratedFile {
  const all = model.handle({ method: 'GetParameterValues', parameterNames: [model.root] });
  const names = model.handle({ method: 'GetParameterNames', parameterPath: model.root, nextLevel: false });
  const writable = new Set<string>();
  if (names.response.method === 'GetParameterNamesResponse') {
    for (const p of names.response.parameterList) if (p.writable && !p.name.endsWith('.')) writable.add(p.name);
  }
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<Config root="${model.root}">`];
  if (all.response.method === 'GetParameterValuesResponse') {
    for (const p of all.response.parameterList) {
      if (!writable.has(p.name)) continue;
      lines.push(`  <Parameter name="${xmlEscape(p.name)}" type="${xmlEscape(p.type)}">${xmlEscape(p.value)}</Parameter>`);
    }
  }
  lines.push('</Config>', '');
  return { body: Buffer.from(lines.join('\n'), 'utf8'), contentType: 'text/xml' };
}

export function logFile(facts: LogFacts, now: number): GeneratedFile {
  const t = (ms: number): string => new Date(ms).toISOString();
  const lines = [
    `${t(facts.bootedAt)} kernel: Booting (serial ${facts.serialNumber})`,
    `${t(facts.bootedAt + 1500)} cwmpd: started`,
    `${t(now)} cwmpd: ${facts.sessions} sessions since boot; last events: ${facts.lastEvents.join(', ') || 'none'}`,
    `${t(now)} cwmpd: log upload requested`,
    '',
  ];
  return { body: Buffer.from(lines.join('\n'), 'utf8'), contentType: 'text/plain' };
}

/** "1 Vendor Configuration File", "3 Vendor Configuration File 2" → config; log types → log. */
export function uploadFile(fileType: string, model: CpeDataModel, facts: LogFacts, now: number): GeneratedFile | null {
  if (/^(1|3) Vendor Configuration File/.test(fileType)) return configFile(model);
  if (/^(2|4) Vendor Log File/.test(fileType)) return logFile(facts, now);
  return null;
}
