// Token ids from the Hugging Face tokenizers Node binding (@anush008/tokenizers),
// the independent tokenisation behind the bge-m3 and cross-encoder references.
//
//   node tokenize_ref.mjs --node-modules DIR --tokenizer FILE --max-length N
//        --corpus FILE --out OUT.json [--pairs N]
//     {"texts": [[id, ...], ...]} for every line of the corpus (truncated to N),
//     and with --pairs N the first N pairs (line i, line (7i + 3) mod lines)
//     encoded together with the tokenizer's pair template, longest_first
//     truncation to N: {"pairs": [{"query", "text", "ids", "type_ids"}], ...}.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const args = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
const require = createRequire(path.join(path.resolve(args['node-modules']), 'noop.js'));
const { Tokenizer } = require('@anush008/tokenizers');

async function main() {
  const lines = fs.readFileSync(args.corpus, 'utf8').split('\n').filter((l) => l.length > 0);
  const tokenizer = Tokenizer.fromFile(args.tokenizer);
  tokenizer.setTruncation(Number(args['max-length']), { strategy: 'LongestFirst' });
  const texts = [];
  for (const line of lines) texts.push((await tokenizer.encode(line)).getIds());
  const out = { max_length: Number(args['max-length']), lines: lines.length, texts };
  if (args.pairs) {
    out.pairs = [];
    for (let i = 0; i < Number(args.pairs); i++) {
      const q = i % lines.length;
      const t = (7 * i + 3) % lines.length;
      const e = await tokenizer.encode(lines[q], lines[t]);
      out.pairs.push({ query: q, text: t, ids: e.getIds(), type_ids: e.getTypeIds() });
    }
  }
  fs.writeFileSync(args.out, JSON.stringify(out));
  console.error(`tokenize_ref: ${texts.length} texts${args.pairs ? `, ${args.pairs} pairs` : ''} -> ${args.out}`);
}

main().catch((e) => {
  console.error('tokenize_ref: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
