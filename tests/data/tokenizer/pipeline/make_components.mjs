// Writes components.jsonl: for every component of components.in.json and
// every input, what the reference (@anush008/tokenizers = HF tokenizers
// 0.22.2) produces: the normalized string of a normalizer, or the
// pre-tokenizer's splits with [start, end) code point offsets of the input.
//   node make_components.mjs > components.jsonl
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modulesDir = process.env.IMI_NODE_MODULES || path.join(here, '..', '..', '..', '..', '.deps', 'node', 'node_modules');
const t = createRequire(path.join(modulesDir, 'noop.js'))('@anush008/tokenizers');
const spec = JSON.parse(readFileSync(path.join(here, 'components.in.json'), 'utf8'));

for (const c of spec.components) {
  // eslint-disable-next-line no-new-func
  const component = new Function('t', `return ${c.make};`)(t);
  for (const input of spec.inputs) {
    const row = { kind: c.kind, config: c.config, input };
    if (c.kind === 'normalizer') {
      row.normalized = component.normalizeString(input);
    } else {
      row.splits = component.preTokenizeString(input).map(([s, [a, b]]) => [s, a, b]);
    }
    process.stdout.write(JSON.stringify(row) + '\n');
  }
}
