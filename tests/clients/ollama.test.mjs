// The Ollama client (ollama 0.6) against imi's Ollama routes: embed and the
// legacy embeddings, the listing routes tools probe, and errors as Ollama's
// {"error": "text"} so the message (not "[object Object]") reaches the caller.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, load, assertSameDirection, API_KEY, MAX_CLIENT_BATCH, PAYLOAD_LIMIT, assertTableRowsExercised } from './harness.mjs';

let server;
let Ollama;
let client;
const auth = { Authorization: `Bearer ${API_KEY}` };

before(async () => {
  ({ Ollama } = await load('ollama'));
  server = await startServer();
  client = new Ollama({ host: server.url, headers: auth });
});
after(() => server?.stop());

test('embed takes a string or an array; dimensions and truncate pass through', async () => {
  const one = await client.embed({ model: 'imi', input: '東京都に住んでいます' });
  assert.equal(one.embeddings.length, 1);
  const dim = one.embeddings[0].length;
  assert.ok(dim > 0);
  assert.ok(one.prompt_eval_count > 0);
  assert.equal(typeof one.total_duration, 'number');
  const many = await client.embed({ model: 'imi', input: ['東京都に住んでいます', 'ごみの出し方'] });
  assert.equal(many.embeddings.length, 2);
  assertSameDirection(many.embeddings[0], one.embeddings[0]);
  const short = await client.embed({ model: 'imi', input: 'ごみ', dimensions: 8, truncate: true });
  assert.equal(short.embeddings[0].length, 8);
});

test('the legacy embeddings route returns one vector', async () => {
  const r = await client.embeddings({ model: 'imi', prompt: 'ごみの出し方' });
  assert.ok(Array.isArray(r.embedding) && r.embedding.length > 0);
});

test('list, show, ps and version answer in the shapes the client types declare', async () => {
  const list = await client.list();
  assert.ok(list.models.length >= 1);
  const m = list.models[0];
  for (const key of ['name', 'model', 'modified_at', 'digest']) assert.equal(typeof m[key], 'string', key);
  assert.equal(typeof m.size, 'number');
  assert.equal(typeof m.details.family, 'string');
  const show = await client.show({ model: m.name });
  assert.ok(show.capabilities.includes('embedding'));
  assert.equal(typeof show.details.family, 'string');
  assert.equal(typeof show.model_info, 'object');
  assert.ok(Object.keys(show.model_info).some((k) => k.endsWith('.embedding_length')));
  const ps = await client.ps();
  assert.equal(ps.models[0].name, m.name);
  assert.equal(typeof ps.models[0].expires_at, 'string');
  const version = await client.version();
  assert.match(version.version, /^\d+\.\d+\.\d+/);
  await assert.rejects(client.show({ model: 'no-such-model' }), (e) => e.status_code === 404 && /no-such-model/.test(e.error));
});

// Ollama's ResponseError carries the text in .error and the status in .status_code.
async function expectError(promise, status, pattern) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, 'ResponseError', `${e.name}: ${e.message}`);
    assert.equal(e.status_code, status);
    assert.equal(typeof e.error, 'string');
    assert.doesNotMatch(e.error, /\[object Object\]/);
    assert.match(e.error, pattern);
    return true;
  });
}

test('401: a wrong key reaches the caller as text', async () => {
  const wrong = new Ollama({ host: server.url, headers: { Authorization: 'Bearer wrong' } });
  await expectError(wrong.embed({ model: 'imi', input: 'x' }), 401, /API key/);
});

test('413: more inputs than --max-client-batch', async () => {
  const input = Array.from({ length: MAX_CLIENT_BATCH + 1 }, (_, i) => `text ${i}`);
  await expectError(client.embed({ model: 'imi', input }), 413, /more than the limit/);
});

test('413: a body over --payload-limit is read as a 413', async () => {
  await expectError(client.embed({ model: 'imi', input: 'あ'.repeat(PAYLOAD_LIMIT) }), 413, /limit/);
});

test('422: an impossible value names the field', async () => {
  await expectError(client.embed({ model: 'imi', input: 'x', dimensions: 0 }), 422, /dimensions/);
});

test('400: a wrong type names the field', async () => {
  await expectError(client.embed({ model: 'imi', input: 'x', truncate: 'yes' }), 400, /truncate/);
});

test('429: a full queue reaches the caller as text', async () => {
  const input = Array.from({ length: 5 }, (_, i) => `text ${i}`);
  await expectError(client.embed({ model: 'imi', input }), 429, /queue is full/);
});

test('every route docs/api.md lists for the Ollama client was reached', () => {
  assertTableRowsExercised('ollama', server.routesSeen());
});
