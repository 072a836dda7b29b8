// Posts a body over imi serve's payload limit with Node's fetch (undici),
// ROUNDS times, and prints how many times the client read the 413 and its
// JSON error (as opposed to EPIPE / ECONNRESET), then one line per other
// outcome.
//   node oversized_413.mjs PORT [ROUNDS] [MEGABYTES]
const port = Number(process.argv[2]);
const rounds = Number(process.argv[3] ?? 10);
const size = Math.floor(Number(process.argv[4] ?? 10) * 1024 * 1024);
const body = Buffer.concat([Buffer.from('{"input":"'), Buffer.alloc(size, 'x'), Buffer.from('"}')]);
let read = 0;
const other = [];
for (let i = 0; i < rounds; i++) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const json = await res.json();
    const message = json?.error?.message ?? '';
    if (res.status === 413 && message) read++;
    else other.push(`status ${res.status}: ${message}`);
  } catch (e) {
    other.push(`${e.name}: ${e.cause?.code ?? ''} ${e.cause?.message ?? e.message}`);
  }
}
console.log(`${read}/${rounds}`);
for (const line of other) console.log(line);
