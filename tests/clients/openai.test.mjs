// The OpenAI SDK (openai 6) against imi's OpenAI routes: embeddings in every
// input and encoding form, models, and each error reaching the caller.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, load, API_KEY, MAX_CLIENT_BATCH, PAYLOAD_LIMIT, assertTableRowsExercised } from './harness.mjs';

let server;
let OpenAI;
let client;

before(async () => {
  ({ default: OpenAI } = await load('openai'));
  server = await startServer();
  client = new OpenAI({ apiKey: API_KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
});
after(() => server?.stop());

const cosine = (a, b) => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; ++i) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb);
};

test('a string, an array, floats and base64 give the same vectors', async () => {
  const one = await client.embeddings.create({ model: 'imi', input: '東京都に住んでいます', encoding_format: 'float' });
  assert.equal(one.object, 'list');
  assert.equal(one.data.length, 1);
  const dim = one.data[0].embedding.length;
  assert.ok(dim > 0);
  assert.ok(one.usage.prompt_tokens > 0);
  const many = await client.embeddings.create({ model: 'imi', input: ['東京都に住んでいます', 'ごみの出し方'],
                                                encoding_format: 'float' });
  assert.deepEqual(many.data.map((d) => d.index), [0, 1]);
  assert.ok(cosine(many.data[0].embedding, one.data[0].embedding) > 0.9999);
  // The SDK's default asks for base64 and decodes it to floats.
  const decoded = await client.embeddings.create({ model: 'imi', input: '東京都に住んでいます' });
  assert.equal(decoded.data[0].embedding.length, dim);
  assert.ok(cosine(decoded.data[0].embedding, one.data[0].embedding) > 0.9999);
  const raw = await client.embeddings.create({ model: 'imi', input: '東京都に住んでいます', encoding_format: 'base64' });
  assert.equal(typeof raw.data[0].embedding, 'string');
  const bytes = Buffer.from(raw.data[0].embedding, 'base64');
  assert.equal(bytes.length, dim * 4);
});

test('dimensions keeps the first components (Matryoshka; renormalised when the model normalises)', async () => {
  const full = await client.embeddings.create({ model: 'imi', input: 'ごみ', encoding_format: 'float' });
  const r = await client.embeddings.create({ model: 'imi', input: 'ごみ', dimensions: 8, encoding_format: 'float' });
  assert.equal(r.data[0].embedding.length, 8);
  assert.ok(cosine(r.data[0].embedding, full.data[0].embedding.slice(0, 8)) > 0.9999);
});

test('token ids embed like the text they came from', async () => {
  const one = await client.embeddings.create({ model: 'imi', input: [[5, 6, 7]], encoding_format: 'float' });
  const flat = await client.embeddings.create({ model: 'imi', input: [5, 6, 7], encoding_format: 'float' });
  assert.equal(one.data.length, 1);
  assert.deepEqual(one.data[0].embedding, flat.data[0].embedding);
});

test('models lists the served model and retrieves it by id', async () => {
  const list = await client.models.list();
  assert.ok(list.data.length >= 1);
  const m = list.data[0];
  assert.equal(m.object, 'model');
  assert.equal(typeof m.id, 'string');
  assert.equal(typeof m.created, 'number');
  assert.equal(typeof m.owned_by, 'string');
  const got = await client.models.retrieve(m.id);
  assert.equal(got.id, m.id);
  await assert.rejects(client.models.retrieve('no-such-model'), (e) => e.status === 404 && /no-such-model/.test(e.message));
});

// Each error carries the server's message and OpenAI's error object.
async function expectError(promise, status, pattern, Klass) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Klass, `${e.constructor.name}: ${e.message}`);
    assert.equal(e.status, status);
    assert.match(e.message, pattern);
    assert.equal(typeof e.error?.type, 'string');
    assert.ok('param' in e.error, 'OpenAI errors carry param');
    return true;
  });
}

test('401: a wrong key is an AuthenticationError with the server message', async () => {
  const wrong = new OpenAI({ apiKey: 'wrong', baseURL: `${server.url}/v1`, maxRetries: 0 });
  await expectError(wrong.embeddings.create({ model: 'imi', input: 'x' }), 401, /API key/, OpenAI.AuthenticationError);
});

test('413: more inputs than --max-client-batch', async () => {
  const input = Array.from({ length: MAX_CLIENT_BATCH + 1 }, (_, i) => `text ${i}`);
  await expectError(client.embeddings.create({ model: 'imi', input }), 413, /more than the limit/, OpenAI.APIError);
});

test('413: a body over --payload-limit is read as a 413, not a broken connection',
     async () => {
       const input = 'あ'.repeat(PAYLOAD_LIMIT);
       await expectError(client.embeddings.create({ model: 'imi', input }), 413, /limit/, OpenAI.APIError);
     });

test('422: an impossible value is an UnprocessableEntityError naming the field', async () => {
  await expectError(client.embeddings.create({ model: 'imi', input: 'x', dimensions: 0 }), 422, /dimensions/,
                    OpenAI.UnprocessableEntityError);
});

test('400: a wrong type is a BadRequestError naming the field', async () => {
  await expectError(client.embeddings.create({ model: 'imi', input: 'x', encoding_format: 'int8' }), 400,
                    /encoding_format/, OpenAI.BadRequestError);
});

test('429: a full queue is a RateLimitError with the server message', async () => {
  const input = Array.from({ length: 5 }, (_, i) => `text ${i}`);
  await expectError(client.embeddings.create({ model: 'imi', input }), 429, /queue is full/, OpenAI.RateLimitError);
});

test('every route docs/api.md lists for the OpenAI SDK was reached', () => {
  assertTableRowsExercised('openai', server.routesSeen());
});
