// The OpenAI SDK's browser build (its ES modules, as a bundler would ship
// them) in headless Chromium, on a page from another origin than imi: the
// CORS preflight carries the SDK's x-stainless-* headers and must pass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { startServer, load, env, API_KEY, assertTableRowsExercised } from './harness.mjs';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let imi;
let pages;          // the static server of the test page and the SDK's files
let allowed;        // origin imi allows
let other;          // an origin imi does not allow
let context;
let profile;

// Serves the page and node_modules/openai under /openai/ on two ports.
function startPageServer() {
  const sdk = join(env.modules, 'openai');
  const page = readFileSync(new URL('./browser_page.html', import.meta.url));
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    const file = normalize(join(sdk, path.replace(/^\/openai\//, '')));
    if (!path.startsWith('/openai/') || !file.startsWith(sdk) || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
    res.end(readFileSync(file));
  });
  return server;
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

before(async () => {
  const playwright = await load('playwright-core');
  const chromium = playwright.chromium ?? playwright.default.chromium;
  pages = [startPageServer(), startPageServer()];
  allowed = await listen(pages[0]);
  other = await listen(pages[1]);
  imi = await startServer({ corsOrigin: allowed });
  profile = mkdtempSync(join(tmpdir(), 'imi-chromium-'));
  // The fresh profile directory is Chromium's --user-data-dir (Playwright
  // passes it itself and refuses it among the args).
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
});

after(async () => {
  await context?.close();
  for (const s of pages ?? []) s.close();
  imi?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

// Opens the page at `origin` and runs the SDK call it defines.
async function runInPage(origin, call) {
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/index.html`);
    await page.waitForFunction(() => window.sdkReady === true, null, { timeout: 30000 });
    return await page.evaluate(([name, baseURL, apiKey]) => window[name](baseURL, apiKey), [call, `${imi.url}/v1`, API_KEY]);
  } finally {
    await page.close();
  }
}

test('the SDK embeds from an allowed origin through the preflight', async () => {
  const r = await runInPage(allowed, 'embed');
  assert.equal(r.ok, true, r.error);
  assert.ok(r.dimension > 0);
  const preflights = imi.routesSeen().filter((e) => e.method === 'OPTIONS' && e.path === '/v1/embeddings');
  assert.ok(preflights.length > 0, 'the browser sent no preflight');
  assert.ok(preflights.every((e) => e.status === 204));
});

test('an API error (401) is readable in the browser with its message', async () => {
  const r = await runInPage(allowed, 'embedWithWrongKey');
  assert.equal(r.ok, false);
  assert.equal(r.status, 401);
  assert.match(r.error, /API key/);
});

test('models.list works from the browser', async () => {
  const r = await runInPage(allowed, 'listModels');
  assert.equal(r.ok, true, r.error);
  assert.ok(r.count >= 1);
});

test('another origin is refused by the browser', async () => {
  const r = await runInPage(other, 'embed');
  assert.equal(r.ok, false);
  assert.equal(r.status, undefined, 'a CORS failure has no status');
  assert.match(r.error, /Connection error|fetch/i);
});

test('every route docs/api.md lists for the browser build was reached', () => {
  assertTableRowsExercised('browser', imi.routesSeen());
});
