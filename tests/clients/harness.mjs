// Shared by the client-compatibility suites: starts the built `imi serve`
// with the generated tiny model, an embedded store, an API key and CORS,
// records which routes each suite reached (from the JSON access log), and
// checks them against the compatibility table of docs/api.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

export const env = {
  binary: process.env.IMI_BINARY,
  source: process.env.IMI_SOURCE_DIR,
  shared: process.env.IMI_SHARED_DIR,
  fixtures: process.env.IMI_FIXTURE_DIR,
  modules: process.env.IMI_CLIENTS_NODE_MODULES,
};

export const API_KEY = 'client-suite-key';
export const MAX_CLIENT_BATCH = 8;
export const MAX_QUEUE = 4;         // a request of 5 inputs overflows the queue: 429
export const PAYLOAD_LIMIT = 65536; // a larger body is refused by the transport: 413

// The client libraries, loaded from .deps/clients/node_modules.
const requireFromDeps = createRequire(join(env.modules ?? '.', 'noop.js'));
export async function load(name) {
  return import(requireFromDeps.resolve(name));
}

// Generates (once per build directory, under a lock) the tiny model the
// black-box suites share; returns its directory.
function serveModel() {
  const lock = `${env.fixtures}.lock`;
  const r = spawnSync('flock', [lock, 'sh', join(env.source, 'tests/server/make_serve_model.sh'), env.fixtures,
                                env.source, env.shared], { stdio: 'inherit' });
  assert.equal(r.status, 0, 'make_serve_model.sh failed');
  return join(env.fixtures, 'tiny-bert');
}

// A running server: { url, origin, stop(), routesSeen() }.
export async function startServer({ corsOrigin = 'http://127.0.0.1', apiKey = API_KEY, extra = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'imi-clients-'));
  const args = ['serve', '--model', serveModel(), '--host', '127.0.0.1', '--port', '0', '--log-format', 'json',
                '--store', join(dir, 'store'), '--max-client-batch', String(MAX_CLIENT_BATCH),
                '--max-queue', String(MAX_QUEUE), '--payload-limit', String(PAYLOAD_LIMIT), ...extra];
  if (apiKey) args.push('--api-key', apiKey);
  if (corsOrigin) args.push('--cors-origin', corsOrigin);
  const child = spawn(env.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const seen = [];
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`imi serve did not get ready:\n${log}`)), 60000);
    child.on('exit', (code) => reject(new Error(`imi serve exited with ${code}:\n${log}`)));
    child.stderr.setEncoding('utf8');
    let pending = '';
    child.stderr.on('data', (chunk) => {
      log += chunk;
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const ready = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1]);
        }
        if (line.startsWith('{')) {
          try {
            const entry = JSON.parse(line);
            if (entry.method && entry.path) seen.push(entry);
          } catch { /* not an access log line */ }
        }
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    url,
    stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    // Access-log entries so far: [{method, path, status}].
    routesSeen: () => seen.slice(),
    log: () => log,
  };
}

// The same text embedded alone and inside a batch: the server batches
// inputs (and requests) together, and a batch's padding and quantised
// activations move components slightly (docs/api.md), so compare directions.
export function assertSameDirection(a, b, what = 'vectors') {
  assert.equal(a.length, b.length, `${what}: lengths`);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; ++i) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  const cos = dot / Math.sqrt(na * nb);
  assert.ok(cos > 0.999, `${what}: cosine ${cos}`);
}

// Rows of the compatibility table in docs/api.md: { client, suite, routes: ["GET /x", ...] }.
export function compatibilityTable() {
  const text = readFileSync(join(env.source, 'docs/api.md'), 'utf8');
  const start = text.indexOf('<!-- compatibility-table -->');
  assert.ok(start >= 0, 'docs/api.md has no <!-- compatibility-table --> marker');
  const rows = [];
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (!line.startsWith('|')) {
      if (rows.length > 0 || line.trim() !== '') break;
      continue;
    }
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells[0] === 'client' || /^-+$/.test(cells[0])) continue;
    const routes = [...cells[2].matchAll(/`(GET|POST|PATCH|DELETE|OPTIONS) ([^`]+)`/g)].map((m) => `${m[1]} ${m[2]}`);
    rows.push({ client: cells[0].replace(/`/g, ''), suite: cells[1].replace(/`/g, ''), routes, supported: cells[3] });
  }
  assert.ok(rows.length > 0, 'the compatibility table of docs/api.md has no rows');
  return rows;
}

function routeMatches(template, method, path) {
  const [tm, tp] = template.split(' ');
  if (tm !== method) return false;
  const re = new RegExp('^' + tp.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '$');
  return re.test(path);
}

// Fails unless every route the table lists for `suite`'s rows was reached
// through that suite's clients (entries from routesSeen()).
export function assertTableRowsExercised(suite, entries) {
  const rows = compatibilityTable().filter((r) => r.suite === suite);
  assert.ok(rows.length > 0, `docs/api.md lists no client for suite ${suite}`);
  for (const row of rows) {
    for (const route of row.routes) {
      const hit = entries.some((e) => routeMatches(route, e.method, e.path));
      assert.ok(hit, `docs/api.md says ${row.client} uses ${route}, but the ${suite} suite never reached it`);
    }
  }
}

