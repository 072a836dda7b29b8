// LangChain's OpenAIEmbeddings (@langchain/openai) and OllamaEmbeddings
// (@langchain/ollama) against imi, as a RAG pipeline would use them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, load, assertSameDirection, API_KEY, MAX_CLIENT_BATCH, PAYLOAD_LIMIT, assertTableRowsExercised } from './harness.mjs';

let server;
let OpenAIEmbeddings;
let OllamaEmbeddings;

before(async () => {
  ({ OpenAIEmbeddings } = await load('@langchain/openai'));
  ({ OllamaEmbeddings } = await load('@langchain/ollama'));
  server = await startServer();
});
after(() => server?.stop());

const openai = (fields = {}) => new OpenAIEmbeddings({ apiKey: API_KEY, model: 'imi', maxRetries: 0,
                                                        configuration: { baseURL: `${server.url}/v1` }, ...fields });
const ollama = (fields = {}) => new OllamaEmbeddings({ model: 'imi', baseUrl: server.url, maxRetries: 0,
                                                        headers: { Authorization: `Bearer ${API_KEY}` }, ...fields });

test('OpenAIEmbeddings: embedQuery and embedDocuments agree; dimensions shortens', async () => {
  const q = await openai().embedQuery('ごみの出し方');
  assert.ok(q.length > 0);
  const docs = await openai().embedDocuments(['ごみの出し方', '東京都に住んでいます']);
  assert.equal(docs.length, 2);
  assertSameDirection(docs[0], q);
  const short = await openai({ dimensions: 8 }).embedQuery('ごみ');
  assert.equal(short.length, 8);
});

test('OllamaEmbeddings: embedQuery and embedDocuments agree; dimensions shortens', async () => {
  const q = await ollama().embedQuery('ごみの出し方');
  const docs = await ollama().embedDocuments(['ごみの出し方', '東京都に住んでいます']);
  assert.equal(docs.length, 2);
  assertSameDirection(docs[0], q);
  const short = await ollama({ dimensions: 8 }).embedQuery('ごみ');
  assert.equal(short.length, 8);
});

const many = (n) => Array.from({ length: n }, (_, i) => `text ${i}`);

// LangChain wraps the client errors; the server's text must survive.
for (const [name, make, status] of [['OpenAIEmbeddings', openai, (e) => e.status],
                                    ['OllamaEmbeddings', ollama, (e) => e.status_code]]) {
  const expectError = async (promise, code, pattern) => {
    await assert.rejects(promise, (e) => {
      assert.match(String(e.message), pattern);
      assert.doesNotMatch(String(e.message), /\[object Object\]/);
      assert.equal(status(e), code, `${e.constructor.name}: ${e.message}`);
      return true;
    });
  };
  test(`${name} 401: the server's text reaches the caller`, async () => {
    const wrong = name === 'OpenAIEmbeddings' ? make({ apiKey: 'wrong' })
                                              : make({ headers: { Authorization: 'Bearer wrong' } });
    await expectError(wrong.embedQuery('x'), 401, /API key/);
  });
  test(`${name} 413: more inputs than --max-client-batch`, async () => {
    await expectError(make().embedDocuments(many(MAX_CLIENT_BATCH + 1)), 413, /more than the limit/);
  });
  test(`${name} 413: a body over --payload-limit`, async () => {
    await expectError(make().embedQuery('あ'.repeat(PAYLOAD_LIMIT)), 413, /limit/);
  });
  test(`${name} 422: an impossible value names the field`, async () => {
    await expectError(make({ dimensions: 100000 }).embedQuery('x'), 422, /dimensions/);
  });
  test(`${name} 429: a full queue`, async () => {
    await expectError(make().embedDocuments(many(5)), 429, /queue is full/);
  });
}

test('every route docs/api.md lists for LangChain was reached', () => {
  assertTableRowsExercised('langchain', server.routesSeen());
});
