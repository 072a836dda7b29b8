// Decoder expectations from the reference library: for each {"decoder",
// "tokens"} line, {"decoder","tokens","decoded"} where decoded is what the
// reference decoder makes of the tokens (joined), or {"error"} when the
// reference rejects the decoder.
//   node decoder_ref.mjs CASES_IN_JSONL > CASES_JSONL
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
const out = [];
for (const line of readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (!line) continue;
  const { decoder, tokens } = JSON.parse(line);
  const file = {
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: null, post_processor: null, decoder,
    model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
  };
  try {
    const tok = tokenizers.Tokenizer.fromString(JSON.stringify(file));
    out.push(JSON.stringify({ decoder, tokens, decoded: tok.getDecoder().decode(tokens) }));
  } catch (e) {
    out.push(JSON.stringify({ decoder, tokens, error: String(e.message || e) }));
  }
}
process.stdout.write(out.join('\n') + '\n');
