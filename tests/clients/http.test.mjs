// The HTTP surface beside the client libraries: /metrics through promtool,
// the OpenAPI document through a validator and redocly's linter, content
// types, CORS preflights, the browser page at /, and the compatibility table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, load, env, API_KEY, compatibilityTable } from './harness.mjs';

let server;
const auth = { Authorization: `Bearer ${API_KEY}` };
const ORIGIN = 'http://127.0.0.1:9';

before(async () => { server = await startServer({ corsOrigin: ORIGIN }); });
after(() => server?.stop());

test('/metrics passes promtool check metrics and has process and build series', async () => {
  await fetch(`${server.url}/v1/embeddings`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
                                                body: JSON.stringify({ input: 'x' }) });
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.error, undefined, 'promtool is missing (Debian package prometheus; run scripts/setup.sh)');
  assert.equal(r.status, 0, `promtool check metrics:\n${r.stdout}${r.stderr}`);
  for (const series of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_virtual_memory_bytes',
                        'process_start_time_seconds', 'process_open_fds', 'process_max_fds', 'imi_build_info{']) {
    assert.ok(text.includes(`\n${series}`), `missing ${series}`);
  }
  assert.match(text, /\nimi_build_info\{[^}]*version="[^"]+"[^}]*\} 1\n/);
});

test('every served route is documented the same way: operationId, security and 401 where the key is checked', async () => {
  const doc = await (await fetch(`${server.url}/openapi.json`)).json();
  const root = await (await fetch(`${server.url}/`, { headers: { ...auth, Accept: 'application/json' } })).json();
  assert.ok(doc.servers?.length > 0, 'servers');
  const ids = new Set();
  for (const route of root.routes) {
    const item = doc.paths[route.path];
    assert.ok(item, `${route.path} is served but not in openapi.json`);
    const open = route.public_methods ? route.public_methods.split(',') : [];
    for (const method of route.methods.split(',')) {
      const op = item[method.toLowerCase()];
      assert.ok(op, `${method} ${route.path} is served but not documented`);
      assert.ok(op.operationId && !ids.has(op.operationId), `${method} ${route.path}: operationId`);
      ids.add(op.operationId);
      const secured = (op.security ?? doc.security ?? []).some((s) => Object.keys(s).length > 0);
      assert.equal(secured, !open.includes(method), `${method} ${route.path}: security`);
      assert.equal('401' in op.responses, !open.includes(method), `${method} ${route.path}: 401 response`);
    }
  }
  const served = new Set(root.routes.map((r) => r.path));
  for (const path of Object.keys(doc.paths)) assert.ok(served.has(path), `${path} is documented but not served`);
});

test('JSON routes refuse other content types with 415', async () => {
  const post = (type) => fetch(`${server.url}/v1/embeddings`, {
    method: 'POST', headers: { ...auth, ...(type ? { 'Content-Type': type } : {}) }, body: '{"input":"x"}' });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const r = await post(type);
    assert.equal(r.status, 415, type);
    const body = await r.json();
    assert.match(body.error.message, /application\/json/);
  }
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
    assert.equal((await post(type)).status, 200, type);
  }
});

test('a preflight from the allowed origin gets the headers it asks for; another origin gets none', async () => {
  const preflight = (origin, headers) => fetch(`${server.url}/v1/embeddings`, {
    method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST',
                                  'Access-Control-Request-Headers': headers } });
  const asked = 'authorization,content-type,x-stainless-arch,x-stainless-lang,x-stainless-os,x-stainless-retry-count';
  const ok = await preflight(ORIGIN, asked);
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
  const allowedHeaders = ok.headers.get('access-control-allow-headers').toLowerCase().split(/\s*,\s*/);
  for (const h of asked.split(',')) assert.ok(allowedHeaders.includes(h), h);
  const refused = await preflight('http://evil.example', asked);
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
});

test('/ is a small HTML page for browsers and JSON for everything else', async () => {
  await fetch(`${server.url}/collections`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
                                             body: JSON.stringify({ name: 'city_pages' }) });
  const browser = { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
  const html = await fetch(`${server.url}/`, { headers: { ...browser, ...auth } });
  assert.match(html.headers.get('content-type'), /^text\/html/);
  const page = await html.text();
  for (const s of ['href="/docs"', 'href="/metrics"', 'href="/openapi.json"', 'city_pages']) assert.ok(page.includes(s), s);
  const info = await (await fetch(`${server.url}/`, { headers: auth })).json();
  assert.ok(page.includes(info.model.id), 'model id');
  assert.ok(page.includes(String(info.model.dimension)), 'dimension');
  // Without the key the page still answers, but does not name collections.
  const anonymous = await (await fetch(`${server.url}/`, { headers: browser })).text();
  assert.ok(anonymous.includes('href="/docs"') && !anonymous.includes('city_pages'));
  const json = await fetch(`${server.url}/`, { headers: { Accept: 'application/json' } });
  assert.match(json.headers.get('content-type'), /^application\/json/);
});

test('every row of the compatibility table in docs/api.md has a suite that checks it', () => {
  for (const row of compatibilityTable()) {
    assert.ok(row.routes.length > 0, `${row.client}: no routes`);
    assert.ok(existsSync(new URL(`./${row.suite}.test.mjs`, import.meta.url)), `${row.client}: no suite ${row.suite}`);
  }
});

// Last: redocly takes seconds, and a keep-alive connection idle that long is
// closed by the server.
test('the OpenAPI document validates and redocly lint finds no errors', async () => {
  const doc = await (await fetch(`${server.url}/openapi.json`)).json();
  const { default: SwaggerParser } = await load('@apidevtools/swagger-parser');
  await SwaggerParser.validate(structuredClone(doc));
  const dir = mkdtempSync(join(tmpdir(), 'imi-openapi-'));
  try {
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(doc));
    const r = spawnSync(process.execPath, [join(env.modules, '@redocly/cli/bin/cli.js'), 'lint', '--format=stylish',
                                           join(dir, 'openapi.json')],
                        { encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off',
                                                   REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
    assert.equal(r.status, 0, `redocly lint:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
