// Live reference for the tokenizer parity test: runs @anush008/tokenizers
// (HF tokenizers 0.22.2) over a JSONL corpus of {"text"} lines and prints one
// JSON object per input.
//
//   node tokenize_ref.mjs MODE TOKENIZER_JSON CORPUS_JSONL
//   MODE plain: truncation and padding disabled; {"special": E, "bare": E,
//               "decoded"}: with and without special tokens, and the decoding
//               of the bare ids (skip_special_tokens = true)
//        file:  the file's own truncation/padding, encodeBatch over batches
//               of 16 lines; {"special": E}
//        pair:  line i paired with line i+1 when both have at most 300
//               code points (padding disabled, the file's truncation kept;
//               longer pairs multiply overflowing windows); {"special": E}
// E = {ids, tokens, offsets, type_ids, attention_mask, special_tokens_mask,
// overflowing: [E...]}; offsets are code points of the input. Exit code 2
// when the package is missing (the C++ test then skips).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modulesDir = process.env.IMI_NODE_MODULES || path.join(here, '..', '..', '..', '.deps', 'node', 'node_modules');
let tokenizers;
try {
  tokenizers = createRequire(path.join(modulesDir, 'noop.js'))('@anush008/tokenizers');
} catch (e) {
  console.error(`@anush008/tokenizers not found under ${modulesDir}: run scripts/setup.sh`);
  process.exit(2);
}

const [mode, tokenizerPath, corpusPath] = process.argv.slice(2);
const texts = readFileSync(corpusPath, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l).text);
const tok = tokenizers.Tokenizer.fromFile(tokenizerPath);

function dump(e) {
  return {
    ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets(), type_ids: e.getTypeIds(),
    attention_mask: e.getAttentionMask(), special_tokens_mask: e.getSpecialTokensMask(),
    overflowing: e.getOverflowing().map(dump),
  };
}

const out = [];
if (mode === 'plain') {
  tok.disableTruncation();
  tok.disablePadding();
  for (const t of texts) {
    const special = await tok.encode(t, null, { addSpecialTokens: true });
    const bare = await tok.encode(t, null, { addSpecialTokens: false });
    const decoded = await tok.decode(bare.getIds(), true);
    out.push(JSON.stringify({ special: dump(special), bare: dump(bare), decoded }));
  }
} else if (mode === 'file') {
  for (let i = 0; i < texts.length; i += 16) {
    const batch = await tok.encodeBatch(texts.slice(i, i + 16), { addSpecialTokens: true });
    for (const e of batch) out.push(JSON.stringify({ special: dump(e) }));
  }
} else if (mode === 'pair') {
  tok.disablePadding();
  const short = (t) => [...t].length <= 300;
  for (let i = 0; i + 1 < texts.length; i++) {
    if (!short(texts[i]) || !short(texts[i + 1])) continue;
    const e = await tok.encode(texts[i], texts[i + 1], { addSpecialTokens: true });
    out.push(JSON.stringify({ special: dump(e) }));
  }
} else {
  console.error(`unknown mode ${mode} (plain, file, pair)`);
  process.exit(1);
}
process.stdout.write(out.join('\n') + '\n');
