/**
 * The layer rule (eslint/layers.json → eslint.config.js) catches what it must, and
 * docs/architecture.md shows the same table the rule enforces.
 *
 * Probe files are written into the real tree (the rule keys on where a file sits), linted
 * alone with the ESLint Node API and the project's config, and removed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { afterEach, describe, expect, it } from 'vitest';
import { renderLayerTable } from '../../eslint/layers.mjs';

const root = join(import.meta.dirname, '..', '..');
const probes: string[] = [];
/** Folders of the target layout that do not exist yet in this tree, made for a probe and removed after. */
const madeDirs: string[] = [];

/** Lint `source` as if it were the file src/<dir>/<random>.ts; the messages of the layer rule. */
async function lintAs(dir: string, source: string): Promise<string[]> {
  const folder = join(root, 'src', dir);
  if (!existsSync(folder)) {
    mkdirSync(folder, { recursive: true });
    madeDirs.push(folder);
  }
  const file = join(folder, `zz-layer-probe-${randomBytes(4).toString('hex')}.ts`);
  probes.push(file);
  writeFileSync(file, source);
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintFiles([file]);
  return (result?.messages ?? []).filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

afterEach(() => {
  for (const f of probes.splice(0)) rmSync(f, { force: true });
  for (const d of madeDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the layer rule', () => {
  it('fails a file under src/cwmp that imports node:fs, another node I/O module, or anything under src/store', async () => {
    const messages = await lintAs(
      'cwmp',
      [
        "import { readFileSync } from 'node:fs';",
        "import { createServer } from 'node:http';",
        "import dgram from 'dgram';",
        "import type { Store } from '../store/types.js';",
        "import { openStore } from '../store/open.js';",
        'export const used = [readFileSync, createServer, dgram, openStore];',
        'export type Used = Store;',
      ].join('\n'),
    );
    expect(messages).toHaveLength(5);
    expect(messages.filter((m) => m.includes('src/cwmp does no I/O'))).toHaveLength(3);
    expect(messages.filter((m) => m.includes('src/cwmp may not import src/store'))).toHaveLength(2);
  });

  it('holds at any depth inside a folder (src/cwmp/rpc)', async () => {
    const messages = await lintAs('cwmp/rpc', "import type { Store } from '../../store/types.js';\nexport type Used = Store;\n");
    expect(messages).toEqual([expect.stringContaining('src/cwmp may not import src/store')]);
  });

  it('lets pure code import what the table allows', async () => {
    const messages = await lintAs('cwmp', "import { createHash } from 'node:crypto';\nimport type { Fault } from './types.js';\nexport const used = createHash;\nexport type Used = Fault;\n");
    expect(messages).toEqual([]);
  });

  it('"types only" admits `import type` from an interface and nothing from a backend', async () => {
    const messages = await lintAs(
      'session',
      [
        "import type { Store } from '../store/types.js';",
        "import type { EventSink } from '../events/bus.js';",
        "import { EventBus } from '../events/bus.js';",
        "import type { SqliteStore } from '../store/sqlite/index.js';",
        "import { startNbi } from '../nbi/server.js';",
        'export const used = [EventBus, startNbi];',
        'export type Used = Store | EventSink | SqliteStore;',
      ].join('\n'),
    );
    expect(messages).toHaveLength(3);
    expect(messages.join('\n')).toMatch(/src\/session may not import src\/events/);
    expect(messages.join('\n')).toMatch(/src\/session may not import src\/store/);
    expect(messages.join('\n')).toMatch(/src\/session may not import src\/nbi/);
  });

  it('keeps the REST API off the CWMP server and its packages to their owners', async () => {
    const messages = await lintAs('nbi', "import { startAcs } from '../acs/server.js';\nimport pg from 'pg';\nexport const used = [startAcs, pg];\n");
    expect(messages).toEqual([expect.stringContaining('src/nbi may not import src/acs'), expect.stringContaining('may import pg')]);
  });

  it('keeps the circles broken: routes never import nbi/server.ts, the CPE model never imports its RPC handlers', async () => {
    expect(await lintAs('nbi/routes', "import { startNbi } from '../server.js';\nexport const used = startNbi;\n")).toEqual([
      expect.stringContaining('src/nbi/routes may not import src/nbi/server'),
    ]);
    expect(await lintAs('cpe/model', "import { handleRequest } from '../rpc/handle.js';\nexport const used = handleRequest;\n")).toEqual([
      expect.stringContaining('src/cpe/model may not import src/cpe/rpc'),
    ]);
  });
});

describe('docs/architecture.md', () => {
  it('shows exactly the table the rule enforces (regenerate with `node eslint/layers.mjs`)', () => {
    const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
    const m = /<!-- layers:begin[^>]*-->\n([\s\S]*?)\n<!-- layers:end -->/.exec(doc);
    expect(m, 'docs/architecture.md has no <!-- layers:begin --> … <!-- layers:end --> block').not.toBeNull();
    expect(m![1]).toBe(renderLayerTable());
  });
});
