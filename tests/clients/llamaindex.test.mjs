// LlamaIndex's OpenAIEmbedding (@llamaindex/openai) pointed at imi.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, load, assertSameDirection, API_KEY, MAX_CLIENT_BATCH, PAYLOAD_LIMIT, assertTableRowsExercised } from './harness.mjs';

let server;
let OpenAIEmbedding;

before(async () => {
  ({ OpenAIEmbedding } = await load('@llamaindex/openai'));
  server = await startServer();
});
after(() => server?.stop());

const make = (init = {}) => new OpenAIEmbedding({ model: 'imi', apiKey: API_KEY, baseURL: `${server.url}/v1`,
                                                  maxRetries: 0, embedBatchSize: 64, ...init });

test('getTextEmbedding and getTextEmbeddings agree; dimensions shortens', async () => {
  const one = await make().getTextEmbedding('ごみの出し方');
  assert.ok(one.length > 0);
  const batch = await make().getTextEmbeddings(['ごみの出し方', '東京都に住んでいます']);
  assert.equal(batch.length, 2);
  assertSameDirection(batch[0], one);
  const short = await make({ dimensions: 8 }).getTextEmbedding('ごみ');
  assert.equal(short.length, 8);
});

const many = (n) => Array.from({ length: n }, (_, i) => `text ${i}`);
async function expectError(promise, status, pattern) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.status, status, `${e.constructor.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('401: the server text reaches the caller', async () => {
  await expectError(make({ apiKey: 'wrong' }).getTextEmbedding('x'), 401, /API key/);
});
test('413: more inputs than --max-client-batch', async () => {
  await expectError(make().getTextEmbeddings(many(MAX_CLIENT_BATCH + 1)), 413, /more than the limit/);
});
test('413: a body over --payload-limit', async () => {
  await expectError(make().getTextEmbedding('あ'.repeat(PAYLOAD_LIMIT)), 413, /limit/);
});
test('422: an impossible value names the field', async () => {
  await expectError(make({ dimensions: 100000 }).getTextEmbedding('x'), 422, /dimensions/);
});
test('429: a full queue', async () => {
  await expectError(make().getTextEmbeddings(many(5)), 429, /queue is full/);
});

test('every route docs/api.md lists for LlamaIndex was reached', () => {
  assertTableRowsExercised('llamaindex', server.routesSeen());
});
