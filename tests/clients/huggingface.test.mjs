// Hugging Face's InferenceClient (@huggingface/inference) pointed at imi as
// a Text Embeddings Inference endpoint: featureExtraction posts {"inputs"}
// to the endpoint URL itself (TEI's POST /), and reads TEI's errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, load, assertSameDirection, API_KEY, MAX_CLIENT_BATCH, PAYLOAD_LIMIT, assertTableRowsExercised } from './harness.mjs';

let server;
let InferenceClient;

before(async () => {
  ({ InferenceClient } = await load('@huggingface/inference'));
  server = await startServer();
});
after(() => server?.stop());

const endpoint = (key = API_KEY, path = '') => new InferenceClient(key).endpoint(server.url + path);

test('featureExtraction on the endpoint root, /embed and SageMaker /invocations', async () => {
  const one = await endpoint().featureExtraction({ inputs: 'ごみの出し方' });
  assert.ok(Array.isArray(one));
  const vector = Array.isArray(one[0]) ? one[0] : one;
  assert.ok(vector.length > 0 && typeof vector[0] === 'number');
  const many = await endpoint().featureExtraction({ inputs: ['ごみの出し方', '東京都に住んでいます'] });
  assert.equal(many.length, 2);
  assertSameDirection(many[0], vector);
  const embed = await endpoint(API_KEY, '/embed').featureExtraction({ inputs: ['ごみの出し方'] });
  assert.equal(embed[0].length, vector.length);
  const sagemaker = await endpoint(API_KEY, '/invocations').featureExtraction({ inputs: ['ごみの出し方'] });
  assert.equal(sagemaker[0].length, vector.length);
});

test('the health routes tools probe answer', async () => {
  for (const path of ['/health', '/ping']) {
    const r = await fetch(server.url + path);
    assert.equal(r.status, 200, path);
  }
  const info = await (await fetch(server.url + '/info', { headers: { Authorization: `Bearer ${API_KEY}` } })).json();
  assert.equal(typeof info.model_id, 'string');
  assert.ok(info.model_sha === null || /^[0-9a-f]{40}$/.test(info.model_sha), `model_sha ${info.model_sha}`);
});

const many = (n) => Array.from({ length: n }, (_, i) => `text ${i}`);
// TEI's errors are {"error": "...", "error_type": "..."}; the client shows the text.
async function expectError(promise, status, pattern) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, 'ProviderApiError', `${e.name}: ${e.message}`);
    assert.equal(e.httpResponse?.status, status);
    assert.match(e.message, pattern);
    assert.equal(typeof e.httpResponse?.body?.error_type, 'string');
    return true;
  });
}

test('401: the server text reaches the caller', async () => {
  await expectError(endpoint('wrong').featureExtraction({ inputs: 'x' }), 401, /API key/);
});
test('413: more inputs than --max-client-batch', async () => {
  await expectError(endpoint().featureExtraction({ inputs: many(MAX_CLIENT_BATCH + 1) }), 413, /more than the limit/);
});
test('413: a body over --payload-limit', async () => {
  await expectError(endpoint().featureExtraction({ inputs: 'あ'.repeat(PAYLOAD_LIMIT) }), 413, /limit/);
});
test('422: an impossible value names the field', async () => {
  await expectError(endpoint().featureExtraction({ inputs: 'x', dimensions: 0 }), 422, /dimensions/);
});
test('429: a full queue', async () => {
  await expectError(endpoint().featureExtraction({ inputs: many(5) }), 429, /queue is full/);
});

test('every route docs/api.md lists for the Hugging Face client was reached', () => {
  assertTableRowsExercised('huggingface', server.routesSeen());
});
