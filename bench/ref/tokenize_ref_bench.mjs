// Reference side of bench/tokenize.sh: encodeBatch of the whole corpus with
// @anush008/tokenizers (HF tokenizers 0.22.2), truncation and padding off,
// special tokens added. Loading and one warm-up pass are excluded; prints the
// best of REPS passes as JSON {tokens, seconds, cpu_seconds}.
// Threads: set RAYON_NUM_THREADS / RAYON_RS_NUM_CPUS / TOKENIZERS_PARALLELISM.
//   node tokenize_ref_bench.mjs TOKENIZER_JSON CORPUS_JSONL [REPS]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modulesDir = process.env.IMI_NODE_MODULES || path.join(here, '..', '..', '.deps', 'node', 'node_modules');
const { Tokenizer } = createRequire(path.join(modulesDir, 'noop.js'))('@anush008/tokenizers');

const [tokenizerPath, corpusPath, repsArg] = process.argv.slice(2);
const reps = Number(repsArg || 3);
const texts = readFileSync(corpusPath, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l).text);
const tok = Tokenizer.fromFile(tokenizerPath);
tok.disableTruncation();
tok.disablePadding();

let tokens = 0;
for (const e of await tok.encodeBatch(texts, { addSpecialTokens: true })) tokens += e.getLength();
let best = { seconds: Infinity, cpu_seconds: 0 };
for (let r = 0; r < reps; r++) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await tok.encodeBatch(texts, { addSpecialTokens: true });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  if (seconds < best.seconds) best = { seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6 };
}
console.log(JSON.stringify({ tokens, ...best }));
