// Model/decoder expectations from the reference library (@anush008/tokenizers
// = HF tokenizers 0.22.2). For a tokenizer.json it keeps only "model" and
// "decoder", so encode(word) is exactly the model's tokenize(word).
//
//   node model_ref.mjs TOKENIZER_JSON WORDS_JSONL            # one {"word"} per line
//   node model_ref.mjs --pretokenize TOKENIZER_JSON TEXTS_JSONL
//       (prints the distinct words the file's normalizer + pre-tokenizer
//        make of each {"text"}, as {"word"} lines; at most 1000 words, of
//        which at most 3 longer than 300 code points, to keep fixtures small)
// Output, per word: {"word","ids","tokens","offsets","decoded"}; offsets in
// code points of the word. Exits 2 with a message when the package is missing.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const modulesDir = process.env.IMI_NODE_MODULES || path.join(repo, '.deps', 'node', 'node_modules');
let tokenizers;
try {
  tokenizers = createRequire(path.join(modulesDir, 'noop.js'))('@anush008/tokenizers');
} catch (e) {
  console.error(`@anush008/tokenizers not found under ${modulesDir}: run scripts/setup.sh`);
  process.exit(2);
}
const { Tokenizer } = tokenizers;

const args = process.argv.slice(2);
const pretokenize = args[0] === '--pretokenize';
if (pretokenize) args.shift();
const [tokenizerPath, inputPath] = args;
const file = JSON.parse(readFileSync(tokenizerPath, 'utf8'));
const lines = readFileSync(inputPath, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
const out = [];

if (pretokenize) {
  const full = Tokenizer.fromString(JSON.stringify(file));
  const normalizer = full.getNormalizer();
  const pre = full.getPreTokenizer();
  const seen = new Set();
  let long = 0;
  for (const { text } of lines) {
    if (out.length >= 1000) break;
    const normalized = normalizer ? normalizer.normalizeString(text) : text;
    const words = pre ? pre.preTokenizeString(normalized).map((w) => w[0]) : [normalized];
    for (const w of words) {
      const isLong = [...w].length > 300;
      if (w.length > 0 && !seen.has(w) && (!isLong || long < 3) && out.length < 1000) {
        seen.add(w);
        if (isLong) long++;
        out.push(JSON.stringify({ word: w }));
      }
    }
  }
} else {
  const bare = {
    version: '1.0', truncation: null, padding: null, added_tokens: [],
    normalizer: null, pre_tokenizer: null, post_processor: null,
    decoder: file.decoder ?? null, model: file.model,
  };
  const tok = Tokenizer.fromString(JSON.stringify(bare));
  for (const { word } of lines) {
    const enc = await tok.encode(word, null, { addSpecialTokens: false });
    const ids = enc.getIds();
    const decoded = await tok.decode(ids, false);
    out.push(JSON.stringify({ word, ids, tokens: enc.getTokens(), offsets: enc.getOffsets(), decoded }));
  }
}
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
