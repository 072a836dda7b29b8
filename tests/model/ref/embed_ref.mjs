// Reference embedding pipeline for imi's tests and benchmark: the Hugging Face
// tokenizers Node binding (@anush008/tokenizers) + onnxruntime-node, with
// sentence-transformers' pooling written out here.
//
//   node embed_ref.mjs cases --node-modules DIR --cases CASES.json --corpus FILE
//        --models DIR --out OUT.json
//     For every case: token ids (for the numpy reference) and vectors.
//   node embed_ref.mjs bench --node-modules DIR --model DIR --onnx FILE
//        --corpus FILE --out VECTORS.f32 [--threads N]
//     Load time, one-at-a-time and batched (32, input order) throughput.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

function parseArgs(argv) {
  const args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[++i];
    else args._.push(argv[i]);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const require = createRequire(path.join(path.resolve(args['node-modules']), 'noop.js'));
const { Tokenizer } = require('@anush008/tokenizers');
const ort = require('onnxruntime-node');

const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const readLines = (p) => fs.readFileSync(p, 'utf8').split('\n').filter((l) => l.length > 0);

function loadModelDir(dir) {
  const config = readJson(path.join(dir, 'config.json'));
  const sbert = readJson(path.join(dir, 'sentence_bert_config.json'));
  const st = readJson(path.join(dir, 'config_sentence_transformers.json'));
  return { config, maxSeqLength: sbert.max_seq_length, prompts: st.prompts || {} };
}

async function tokenize(tokenizer, texts) {
  const out = [];
  for (const t of texts) {
    const e = await tokenizer.encode(t);
    out.push({ ids: e.getIds(), typeIds: e.getTypeIds() });
  }
  return out;
}

// Runs one padded batch; returns per input a Float64Array [len * hidden] of
// token embeddings (padding rows dropped).
async function runBatch(session, config, encs) {
  const maxLen = Math.max(...encs.map((e) => e.ids.length));
  const n = encs.length;
  const ids = new BigInt64Array(n * maxLen).fill(BigInt(config.pad_token_id ?? 0));
  const mask = new BigInt64Array(n * maxLen);
  const types = new BigInt64Array(n * maxLen);
  encs.forEach((e, b) => {
    e.ids.forEach((id, j) => {
      ids[b * maxLen + j] = BigInt(id);
      mask[b * maxLen + j] = 1n;
      types[b * maxLen + j] = BigInt(e.typeIds[j]);
    });
  });
  const feeds = {};
  const dims = [n, maxLen];
  for (const name of session.inputNames) {
    if (name === 'input_ids') feeds[name] = new ort.Tensor('int64', ids, dims);
    else if (name === 'attention_mask') feeds[name] = new ort.Tensor('int64', mask, dims);
    else if (name === 'token_type_ids') feeds[name] = new ort.Tensor('int64', types, dims);
    else throw new Error('unexpected model input ' + name);
  }
  const result = await session.run(feeds);
  const out = result.last_hidden_state ?? result[session.outputNames[0]];
  const hidden = out.dims[2];
  return encs.map((e, b) => {
    const len = e.ids.length;
    const v = new Float64Array(len * hidden);
    for (let i = 0; i < len * hidden; i++) v[i] = out.data[b * maxLen * hidden + i];
    return { tokens: v, len, hidden };
  });
}

function pool({ tokens, len, hidden }, mode) {
  const v = new Float64Array(hidden);
  if (mode === 'cls' || mode === 'lasttoken') {
    const row = mode === 'cls' ? 0 : len - 1;
    for (let h = 0; h < hidden; h++) v[h] = tokens[row * hidden + h];
    return v;
  }
  if (mode === 'max') {
    v.fill(-Infinity);
    for (let i = 0; i < len; i++) for (let h = 0; h < hidden; h++) v[h] = Math.max(v[h], tokens[i * hidden + h]);
    return v;
  }
  for (let i = 0; i < len; i++) for (let h = 0; h < hidden; h++) v[h] += tokens[i * hidden + h];
  const div = mode === 'mean' ? len : mode === 'mean_sqrt_len' ? Math.sqrt(len) : NaN;
  for (let h = 0; h < hidden; h++) v[h] /= div;
  return v;
}

function finish(vec, normalize, dimensions) {
  let v = dimensions ? vec.slice(0, dimensions) : vec;
  if (normalize) {
    let s = 0;
    for (const x of v) s += x * x;
    const n = Math.max(Math.sqrt(s), 1e-12);
    v = v.map((x) => x / n);
  }
  return Array.from(v, (x) => Math.fround(x));
}

async function runCases() {
  const cases = readJson(args.cases).cases;
  const corpus = readLines(args.corpus);
  const models = {};
  const out = [];
  for (const c of cases) {
    const dir = path.join(args.models, c.model);
    if (!models[c.model]) {
      const info = loadModelDir(dir);
      const session = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model.onnx'));
      models[c.model] = { ...info, session };
    }
    const m = models[c.model];
    const tokenizer = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
    tokenizer.setTruncation(c.max_length || m.maxSeqLength);
    const prompt = c.prompt ?? (c.prompt_name ? m.prompts[c.prompt_name] : '');
    const encs = await tokenize(tokenizer, corpus.map((t) => prompt + t));
    const vectors = [];
    for (let i = 0; i < encs.length; i += 32) {
      const batch = await runBatch(m.session, m.config, encs.slice(i, i + 32));
      for (const t of batch) vectors.push(finish(pool(t, c.pooling), c.normalize, c.dimensions || 0));
    }
    out.push({ ...c, ids: encs.map((e) => e.ids), vectors });
  }
  fs.writeFileSync(args.out, JSON.stringify({ cases: out }));
  console.error(`embed_ref: ${out.length} cases x ${corpus.length} inputs -> ${args.out}`);
}

async function runBench() {
  const corpus = readLines(args.corpus);
  const m = loadModelDir(args.model);
  const options = { graphOptimizationLevel: 'all' };
  if (args.threads) options.intraOpNumThreads = Number(args.threads);
  const t0 = performance.now();
  const tokenizer = Tokenizer.fromFile(path.join(args.model, 'tokenizer.json'));
  tokenizer.setTruncation(m.maxSeqLength);
  const session = await ort.InferenceSession.create(args.onnx, options);
  const loadMs = performance.now() - t0;
  const pooling = args.pooling || 'mean';
  const report = { load_ms: loadMs, sentences: corpus.length };
  let vectors = [];
  for (const [label, batchSize] of [['single', 1], ['batched', 32]]) {
    const start = performance.now();
    let tokens = 0;
    const vecs = [];
    for (let i = 0; i < corpus.length; i += batchSize) {
      const encs = await tokenize(tokenizer, corpus.slice(i, i + batchSize));
      tokens += encs.reduce((s, e) => s + e.ids.length, 0);
      for (const t of await runBatch(session, m.config, encs)) vecs.push(finish(pool(t, pooling), false, 0));
    }
    const secs = (performance.now() - start) / 1000;
    report[label] = { seconds: secs, sentences_per_s: corpus.length / secs, tokens_per_s: tokens / secs };
    vectors = vecs;
  }
  report.peak_rss_mb = process.resourceUsage().maxRSS / 1024;
  const flat = new Float32Array(vectors.length * vectors[0].length);
  vectors.forEach((v, i) => flat.set(v, i * v.length));
  fs.writeFileSync(args.out, Buffer.from(flat.buffer));
  console.log(JSON.stringify(report));
}

const mode = args._[0];
(mode === 'bench' ? runBench() : runCases()).catch((e) => {
  console.error('embed_ref: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
