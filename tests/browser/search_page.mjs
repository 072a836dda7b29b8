// The search page and the embeddable widget in a real browser: headless
// Chromium (Debian's /usr/bin/chromium) driven by playwright-core from npm.
// Crawls the sample city site (tools/sitegen) into a fresh store, serves it
// with imi serve, then types a query, reads the results, switches the mode,
// filters by section, pages, opens a result, checks the English interface,
// the no-results state, keyboard order, landmarks and a phone-sized screen,
// and uses the widget from a page of another origin (CORS). Screenshots go
// to --screenshots DIR.
//
//   node tests/browser/search_page.mjs --imi build/imi --source . --model DIR --work DIR
//        --node-modules .deps/clients/node_modules [--screenshots DIR]
//
// Exits 77 (skipped) when Chromium or playwright-core is missing.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
for (const required of ["imi", "source", "model", "work", "node-modules"]) {
  if (!args[required]) {
    console.error(`search_page.mjs: --${required} is required`);
    process.exit(2);
  }
}
const CHROMIUM = "/usr/bin/chromium";
if (!fs.existsSync(CHROMIUM)) {
  console.log(`skipped: ${CHROMIUM} is not installed (scripts/setup.sh installs Debian's chromium)`);
  process.exit(77);
}
let chromium;
try {
  chromium = createRequire(path.join(args["node-modules"], "noop.js"))("playwright-core").chromium;
} catch (e) {
  console.log(`skipped: playwright-core is not in ${args["node-modules"]} (scripts/setup.sh installs it)`);
  process.exit(77);
}

const work = args.work;
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
const children = [];
let passed = 0;
let failed = 0;

function check(condition, what) {
  if (condition) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}`);
  }
}

function cleanup() {
  for (const child of children) {
    if (child.exitCode === null) child.kill("SIGTERM");
  }
}
process.on("exit", cleanup);

async function waitFor(predicate, what, ms = 60000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = predicate();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function start(command, argv, logName) {
  const log = fs.openSync(path.join(work, logName), "w");
  const child = spawn(command, argv, { stdio: ["ignore", log, log] });
  children.push(child);
  return child;
}

const python = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
// 1. The sample site on loopback, crawled into a store.
const site = path.join(work, "site");
const gen = spawnSync(python, [path.join(args.source, "tools/sitegen/sitegen.py"), site], { encoding: "utf8" });
if (gen.status !== 0) throw new Error("sitegen.py failed: " + gen.stderr);
start(python, [path.join(args.source, "tools/sitegen/siteserver.py"), site, "--port-file", path.join(work, "site.port")],
      "site.log");
const sitePort = await waitFor(() => fs.existsSync(path.join(work, "site.port")) &&
                                     fs.readFileSync(path.join(work, "site.port"), "utf8"), "the site server");
const siteOrigin = `http://127.0.0.1:${sitePort}`;
const store = path.join(work, "store");
const crawl = spawnSync(args.imi, ["crawl", `${siteOrigin}/`, "--collection", "city", "--model", args.model,
                                   "--store", store, "--delay-ms", "0", "--concurrency", "4", "--timeout-ms", "1500",
                                   "--retries", "0"], { encoding: "utf8" });
if (crawl.status !== 0) throw new Error("imi crawl failed: " + crawl.stderr);
console.log(crawl.stdout.split("\n")[0]);

// 2. imi serve with CORS for the site's origin (where the widget is embedded).
start(args.imi, ["serve", "--model", args.model, "--store", store, "--host", "127.0.0.1", "--port", "0",
                 "--no-access-log", "--cors-origin", siteOrigin], "serve.log");
const imiPort = await waitFor(() => {
  const text = fs.existsSync(path.join(work, "serve.log")) ? fs.readFileSync(path.join(work, "serve.log"), "utf8") : "";
  const m = text.match(/ready on http:\/\/127\.0\.0\.1:(\d+)/);
  return m && m[1];
}, "imi serve");
const imi = `http://127.0.0.1:${imiPort}`;

// 3. The browser: Debian's Chromium, a fresh profile, nothing from the network.
const profile = path.join(work, "profile");
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1200, height: 900 },
  locale: "ja-JP",
});
const shots = args.screenshots || path.join(work, "screenshots");
fs.mkdirSync(shots, { recursive: true });
const external = [];
context.on("request", (req) => {
  const url = new URL(req.url());
  if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") external.push(req.url());
});

try {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  // Type a query, see results.
  await page.goto(`${imi}/search?c=city`);
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === "q"),
        "the empty page puts the focus in the search box");
  await page.getByLabel("検索する言葉").fill("燃やすごみの出し方");
  await page.keyboard.press("Enter");
  await page.waitForSelector("ol.results li");
  const count = await page.locator("ol.results li").count();
  check(count === 10, `a results page lists 10 results (${count})`);
  const status = await page.locator("p.status").textContent();
  check(/「燃やすごみの出し方」の検索結果 \d+件（1〜10件目）/.test(status), `the status says what was found: ${status}`);
  check((await page.locator("ol.results mark").count()) > 0, "matched words are highlighted with <mark>");
  const firstTitle = await page.locator("ol.results li h3 a").first().textContent();
  check(firstTitle.length > 0 && !firstTitle.startsWith("http"), `results carry page titles: ${firstTitle}`);
  check(await page.locator("ol.results li .url").first().textContent().then((t) => t.startsWith(siteOrigin)),
        "results show their URL");
  await page.screenshot({ path: path.join(shots, "search-page.png"), fullPage: false });

  // Landmarks, labels and keyboard order.
  check(await page.locator("header").count() === 1 && await page.locator("main").count() === 1 &&
        await page.locator("footer").count() === 1, "banner, main and contentinfo landmarks");
  check(await page.locator("form[role=search]").count() === 1, "the form is a search landmark");
  check(await page.locator("nav.sections[aria-labelledby]").count() === 1, "the section filter is a labelled nav");
  await page.keyboard.press("Home");
  await page.locator("body").focus();
  await page.evaluate(() => document.activeElement.blur());
  const order = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press("Tab");
    order.push(await page.evaluate(() => {
      const e = document.activeElement;
      return e.id || e.className || e.textContent.trim().slice(0, 20);
    }));
  }
  check(order[0] === "skip" && order.includes("q"), `Tab reaches the skip link, then the search box: ${order.join(" | ")}`);
  await page.locator("a.skip").focus();
  await page.keyboard.press("Enter");
  check(await page.evaluate(() => location.hash === "#results"), "the skip link jumps to the results");

  // Modes the collection offers (semantic only until the lexical index exists).
  const modes = await (await fetch(`${imi}/search/results?c=city&q=${encodeURIComponent("ごみ")}`)).json();
  check(modes.mode === modes.modes[0] && modes.modes.includes("semantic"), `modes offered: ${modes.modes.join(", ")}`);
  if (modes.modes.length > 1) {
    const other = modes.modes.find((m) => m !== modes.mode);
    await page.locator("nav.modes a").filter({ hasNotText: "" }).nth(modes.modes.indexOf(other)).click();
    await page.waitForLoadState();
    check(page.url().includes(`mode=${other}`), `switching the mode to ${other}`);
  }

  // Filter by section.
  await page.goto(`${imi}/search?c=city&q=${encodeURIComponent("燃やすごみの出し方")}`);
  const sectionLink = page.locator("nav.sections a", { hasText: "kurashi" });
  await sectionLink.click();
  await page.waitForSelector("ol.results li");
  check(page.url().includes("section=kurashi"), "the section link filters");
  const sections = await page.locator("ol.results .meta span:first-child").allTextContents();
  check(sections.length > 0 && sections.every((s) => s === "kurashi"), `every result is in kurashi (${sections.length})`);
  check(await page.locator("nav.sections a[aria-current]").textContent().then((t) => t.startsWith("kurashi")),
        "the chosen section is marked current");

  // Page through, then open a result.
  await page.goto(`${imi}/search?c=city&q=${encodeURIComponent("手続き")}`);
  await page.locator("nav.pages a[rel=next]").click();
  await page.waitForSelector("ol.results li");
  check(await page.locator("ol.results").getAttribute("start") === "11", "the next page starts at result 11");
  const resultTitle = await page.locator("ol.results li h3 a").first().textContent();
  await page.locator("ol.results li h3 a").first().click();
  await page.waitForLoadState();
  check(page.url().startsWith(siteOrigin), `opening a result goes to the city's page: ${page.url()}`);
  check((await page.title()) === resultTitle, "and it is the page the result named");

  // No results, English, a phone.
  await page.goto(`${imi}/search?c=city&q=${encodeURIComponent("ごみ")}&section=nowhere`);
  check(await page.locator(".empty li").count() >= 3, "no results: the page suggests what to try");
  await page.goto(`${imi}/search?c=city&q=${encodeURIComponent("ごみ")}&lang=en`);
  check(await page.evaluate(() => document.documentElement.lang) === "en" &&
        (await page.locator("form button").textContent()) === "Search", "?lang=en gives the English interface");
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(`${imi}/search?c=city&q=${encodeURIComponent("子育て 相談")}`);
  await page.waitForSelector("ol.results li");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `a 375 px wide phone needs no horizontal scrolling (${overflow})`);
  await page.screenshot({ path: path.join(shots, "search-page-phone.png"), fullPage: false });
  await page.setViewportSize({ width: 1200, height: 900 });

  // The widget on the city's own page (another origin), through CORS.
  const query = "避難所の一覧";
  await page.goto(`${siteOrigin}/_widget.html?imi=${encodeURIComponent(imi)}&c=city`);
  const box = page.locator("[data-imi-search] >> input[type=search]");
  await box.waitFor();
  await box.fill(query);
  await box.press("Enter");
  await page.waitForSelector("[data-imi-search] >> ol li");
  const widgetTitles = await page.locator("[data-imi-search] >> ol li h3").allTextContents();
  const api = await (await fetch(`${imi}/search/results?c=city&q=${encodeURIComponent(query)}`)).json();
  check(widgetTitles.length === api.results.length &&
        widgetTitles.every((t, i) => t === api.results[i].title), "the widget shows the same results as the page's API");
  check(new URL(page.url()).origin !== imi, "the widget ran on another origin");
  check(await page.locator("[data-imi-search] >> mark").count() > 0, "the widget highlights matches");
  await page.screenshot({ path: path.join(shots, "search-widget.png"), fullPage: false });
  await page.locator("[data-imi-search] >> button.more").click();
  await page.waitForFunction(() => document.querySelector("[data-imi-search]").shadowRoot.querySelectorAll("ol li").length > 10);
  check(true, "the widget loads more results");

  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
  check(external.length === 0, `nothing was requested from outside this machine (${external.join(", ")})`);
} catch (e) {
  failed++;
  console.log(`FAIL ${e.stack || e}`);
} finally {
  await context.close();
  cleanup();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
