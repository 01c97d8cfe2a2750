// Opens the built book in headless Chromium, the way a reader would, and fails
// on anything a reader would see broken. Run by ci/reader-checks.sh.
//
//   node check-book.mjs BOOK_DIR [--screenshots DIR]   check every page of BOOK_DIR
//   node check-book.mjs --self-test BOOK_DIR           plant faults in a temporary copy
//                                                      of BOOK_DIR and show each is caught
//
// The book is served from this process on 127.0.0.1 (a free port). Every request to
// any other host is answered by the test itself and fails the check, with one
// exception: the playground's crate list (see PLAYGROUND_CRATES below).
import { chromium } from 'playwright-core';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
// Pages outside the table of contents that a reader can still reach.
const EXTRA_PAGES = ['index.html', 'print.html', '404.html', 'toc.html'];
// Words the search box must find, and text a page's code blocks must show
// (proof that `{{#include}}` pulled the listing in).
const SEARCH_WORDS = ['deadlock', 'preempt'];
const REQUIRED_CODE = { 'ch02-scheduling.html': 'async fn greedy' };
const SCREENSHOT_PAGES = ['introduction.html', 'ch02-scheduling.html', 'appendix-measurements.html'];
// The title of each kind of verdict box and the class it must have
// (`{{#verdict KIND: ...}}`, tools/src/preprocess/verdict.rs).
const VERDICT_KINDS = {
  'Verdict: holds': 'verdict-holds',
  'Verdict: holds in part': 'verdict-holds-in-part',
  'Verdict: does not hold for Rust': 'verdict-does-not-hold',
};
// mdBook's play buttons ask the Rust playground which crates it has, from every
// page with a runnable block. That is the one remote address the book uses by
// design, and only for the Run button; the test answers it with this list, so
// nothing leaves the machine and the page runs the same code path as online.
const PLAYGROUND_CRATES = 'https://play.rust-lang.org/meta/crates';
const PLAYGROUND_ANSWER = JSON.stringify({
  crates: ['tokio', 'futures', 'crossbeam', 'parking_lot', 'rayon'].map(id => ({ id, name: id, version: '0' })),
});
const PAGE_TIMEOUT_MS = 30_000;
// The desktop width at which no code block may need a horizontal scrollbar
// (the viewport of every page checked). print.html repeats every chapter's
// blocks, so it is left out of that check to report each block once.
const DESKTOP = { width: 1280, height: 900 };
// Charts are measured at desktop width and at a phone's: each one's smallest
// mark (a bar, a point) must have a visible size and its smallest text a
// readable one, in CSS pixels as drawn.
const PHONE = { width: 400, height: 900 };
const CHART_MIN_MARK_PX = 2;
const CHART_MIN_TEXT_PX = 9;

// The smallest mark and text of each inline chart on the page, as drawn.
function chartSizes() {
  return Array.from(document.querySelectorAll('figure.measured-chart > svg')).map(svg => {
    const id = svg.parentElement.id || '(no id)';
    const box = svg.getBoundingClientRect();
    const scale = box.width / (svg.viewBox.baseVal?.width || box.width || 1);
    const marks = Array.from(svg.querySelectorAll('rect:not([fill="none"]), circle'))
      .map(m => { const r = m.getBoundingClientRect(); return Math.min(r.width, r.height); });
    const texts = Array.from(svg.querySelectorAll('text'))
      .filter(t => t.textContent.trim() !== '')
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    return {
      id, width: Math.round(box.width),
      mark: marks.length ? Math.min(...marks) : null,
      text: texts.length ? Math.min(...texts) : null,
    };
  });
}
const NO_SCROLL_SKIP = ['print.html'];

// Diagrams ({{#diagram NAME}}, Graphviz's SVG inline in figure.book-diagram):
// measured in the browser at desktop and phone width, each one's smallest text
// in CSS pixels as drawn, every mark and word inside the SVG's box, and the
// words of a node with one outline inside that outline (a font wider than the
// one dot measured with would spill out of it). Returns one entry per diagram.
function diagramSizes() {
  const SLACK = 1; // px: anti-aliasing and rounding of the boxes
  const inside = (r, box) => r.left >= box.left - SLACK && r.right <= box.right + SLACK
    && r.top >= box.top - SLACK && r.bottom <= box.bottom + SLACK;
  return Array.from(document.querySelectorAll('figure.book-diagram > svg')).map(svg => {
    const id = svg.parentElement.id || '(no id)';
    const box = svg.getBoundingClientRect();
    const scale = box.width / (svg.viewBox.baseVal?.width || box.width || 1);
    const texts = Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim() !== '');
    const sizes = texts.map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    const marks = Array.from(svg.querySelectorAll('text, path, polygon, polyline, ellipse, rect, line'));
    const outside = marks.filter(m => !inside(m.getBoundingClientRect(), box))
      .map(m => (m.textContent || m.tagName).trim().slice(0, 40));
    const spilled = [];
    for (const node of svg.querySelectorAll('g.node')) {
      const outlines = node.querySelectorAll(':scope > polygon, :scope > ellipse, :scope > path');
      if (outlines.length !== 1) continue;
      const outline = outlines[0].getBoundingClientRect();
      for (const t of node.querySelectorAll('text')) {
        if (!inside(t.getBoundingClientRect(), outline)) spilled.push(t.textContent.trim().slice(0, 40));
      }
    }
    return {
      id, width: Math.round(box.width), shown: svg.parentElement.clientWidth,
      text: sizes.length ? Math.min(...sizes) : null, outside, spilled,
    };
  });
}

// Checks the diagrams of one page (already open at desktop width in `page`)
// at desktop and phone width, reporting under the page's name.
async function checkDiagrams(context, origin, name, page, problems) {
  const count = await page.evaluate(() => document.querySelectorAll('figure.book-diagram > svg').length);
  if (count === 0) return;
  const phone = await context.newPage();
  try {
    await phone.setViewportSize(PHONE);
    await phone.goto(`${origin}/${name}`, { timeout: PAGE_TIMEOUT_MS, waitUntil: 'load' });
    await phone.evaluate(() => document.fonts.ready);
    for (const [viewport, shown] of [[DESKTOP, page], [PHONE, phone]]) {
      for (const d of await shown.evaluate(diagramSizes)) {
        const at = `${name}: diagram ${d.id} at ${viewport.width} px`;
        if (process.env.BOOK_CHECK_DEBUG) console.log(`  ${at}: ${d.width} px wide in ${d.shown} px, smallest text ${d.text?.toFixed(1)} px`);
        if (d.text === null) problems.push(`${at}: has no text`);
        else if (d.text < CHART_MIN_TEXT_PX) problems.push(`${at}: smallest text is ${d.text.toFixed(1)} px (at least ${CHART_MIN_TEXT_PX})`);
        if (d.outside.length) problems.push(`${at}: drawn outside its box: ${d.outside.slice(0, 3).join(' | ')}`);
        if (d.spilled.length) problems.push(`${at}: text outside its node: ${d.spilled.slice(0, 3).join(' | ')}`);
      }
    }
  } finally {
    await phone.close();
  }
}

async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM} (set CHROMIUM, or install Debian's chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

// One browser context in which every request that does not go to `origin` is
// answered locally and reported. `problems` collects what the reader would meet.
async function newContext(browser, origin, problems) {
  const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
  await context.route('**/*', route => {
    const request = route.request();
    const url = request.url();
    if (url.startsWith(origin + '/')) return route.continue();
    if (url === PLAYGROUND_CRATES) {
      return route.fulfill({
        status: 200,
        contentType: 'application/json',
        headers: { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' },
        body: PLAYGROUND_ANSWER,
      });
    }
    problems.push(`${pageName(request.frame()?.url(), origin)}: request to another host: ${url}`);
    return route.abort('blockedbyclient');
  });
  return context;
}

function pageName(url, origin) {
  if (!url) return '(unknown page)';
  return url.startsWith(origin) ? url.slice(origin.length + 1).split(/[?#]/)[0] || 'index.html' : url;
}

function short(s) {
  return s.length > 100 ? s.slice(0, 97) + '...' : s;
}

// Watches one page for console errors, uncaught exceptions, failed requests
// and error responses, and reports them under the page's name.
function watch(page, name, origin, problems) {
  page.on('console', msg => {
    if (msg.type() === 'error') problems.push(`${name}: console error: ${short(msg.text())}`);
  });
  page.on('pageerror', err => problems.push(`${name}: uncaught exception: ${short(err.message)}`));
  page.on('requestfailed', req => {
    if (!req.url().startsWith(origin + '/')) return; // already reported by the route
    problems.push(`${name}: request failed: ${req.url()} (${req.failure()?.errorText})`);
  });
  page.on('response', res => {
    const expected404 = name === '404.html' && res.url() === `${origin}/404.html`;
    if (res.status() >= 400 && !expected404) problems.push(`${name}: HTTP ${res.status()} for ${res.url()}`);
  });
}

// What a reader sees on one page, gathered in the browser after it has loaded.
async function inspect(page) {
  return page.evaluate(async () => {
    // Lazy images load only when scrolled to: load them all now.
    const images = Array.from(document.images);
    for (const img of images) img.loading = 'eager';
    await Promise.all(images.map(img => img.complete ? null
      : new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); setTimeout(done, 10000); })));
    const brokenImages = images
      .filter(img => !(img.complete && img.naturalWidth > 0))
      .map(img => img.getAttribute('src') || '(no src)');
    const charts = document.querySelectorAll('figure.measured-chart > svg').length;

    const links = Array.from(document.querySelectorAll('a[href]'))
      .map(a => ({ href: a.getAttribute('href'), url: a.href }));

    // Each Rust block (all of them are included listings) must follow a caption
    // naming its file; each caption must name a file under listings/.
    const blocks = Array.from(document.querySelectorAll('main pre > code'));
    const uncaptioned = [];
    const captionPaths = [];
    for (const code of blocks) {
      const pre = code.parentElement;
      const before = pre.previousElementSibling;
      const caption = before && before.querySelector(':scope > .caption');
      if (caption) {
        const named = caption.querySelector('code');
        captionPaths.push(named ? named.textContent : caption.textContent);
      } else if (code.classList.contains('language-rust')) {
        uncaptioned.push(code.textContent.trim().split('\n')[0]);
      }
    }
    const codeText = blocks.map(code => code.textContent).join('\n');
    const captionLinks = Array.from(document.querySelectorAll('.caption a')).map(a => a.href);

    // Every verdict box with its kind (its verdict-* class) and title; a
    // blockquote (an mdBook admonition) that still gives a verdict counts too.
    const verdicts = Array.from(document.querySelectorAll('main div.verdict, main blockquote'))
      .filter(q => q.tagName === 'DIV' || /Verdict:/.test(q.textContent))
      .map(q => {
        const kind = q.tagName === 'DIV'
          ? (Array.from(q.classList).find(c => c.startsWith('verdict-')) || 'none')
          : 'blockquote';
        const title = q.querySelector(':scope > .verdict-title');
        const word = title ? title.textContent.trim() : '(no title)';
        return { kind, word };
      });
    // Code blocks wider than the page: the block (<pre>) or its highlighted
    // <code>, which mdBook's CSS lets scroll, holds more than it shows.
    const labelOf = pre => {
      const before = pre.previousElementSibling;
      const caption = before && before.querySelector(':scope > .caption');
      if (caption) return (caption.querySelector('code') || caption).textContent;
      return `"${pre.textContent.trim().split('\n')[0]}"`;
    };
    const scrolling = [];
    // Code a reader reads or copies: Rust, commands, configuration. A program's
    // output or a tool's report (`text` blocks) is shown as it was printed, and
    // may be wider than the page rather than rewrapped.
    const isCode = code => code && [...code.classList].some(c =>
      /^language-(rust|console|sh|bash|shell|toml|lua)$/.test(c));
    for (const pre of document.querySelectorAll('main pre')) {
      const code = pre.querySelector(':scope > code');
      if (!isCode(code)) continue;
      const wide = [pre, code].filter(el => el && el.scrollWidth > el.clientWidth);
      if (wide.length === 0) continue;
      const el = wide[wide.length - 1];
      // Only the lines a reader sees: mdBook hides the `# ` lines of Rust blocks.
      const shown = code ? code.innerText : pre.innerText;
      const longest = Math.max(...shown.split('\n').map(line => line.length));
      scrolling.push({ label: labelOf(pre), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, longest });
    }
    // How many characters a line of a code block may have and still fit: grow
    // one line in a copy of this page's first block until it scrolls.
    let fits = null;
    const sample = document.querySelector('main pre:has(> code.hljs)');
    if (sample) {
      const copy = sample.cloneNode(true);
      sample.after(copy);
      const code = copy.querySelector(':scope > code');
      const scrolls = n => {
        code.textContent = 'x'.repeat(n);
        return code.scrollWidth > code.clientWidth || copy.scrollWidth > copy.clientWidth;
      };
      let lo = 0, hi = 400; // lo fits, hi scrolls
      if (scrolls(hi)) {
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (scrolls(mid)) hi = mid; else lo = mid;
        }
        fits = lo;
      }
      copy.remove();
    }
    return { brokenImages, charts, links, uncaptioned, captionPaths, captionLinks, codeText, verdicts, scrolling, fits, text: (document.querySelector('main') || document.body).innerText };
  });
}

// The pages the table of contents links to, read from the built toc.html.
async function tocPages(context, origin) {
  const page = await context.newPage();
  await page.goto(`${origin}/toc.html`, { timeout: PAGE_TIMEOUT_MS });
  const hrefs = await page.$$eval('a[href]', as => as.map(a => a.getAttribute('href')));
  await page.close();
  return [...new Set(hrefs.filter(h => /^[^:#?]+\.html$/.test(h)))];
}

// Links to a verdict box (`#verdict-<statement>`) or to a test's entry
// (`#test-...`) must land on the box or the entry itself, not merely on some
// element with that id: mdbook-linkcheck2 checks only that the page exists
// (its validate.rs ignores the fragment), and a box's anchor is what the
// ledger and the at-a-glance page promise. `ids` of a page: id → the tag that
// carries it, read from the built file.
function targetsOf(root, file, cache) {
  if (!cache.has(file)) {
    const html = existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), 'utf8') : null;
    const boxes = new Set();
    const tests = new Set();
    if (html !== null) {
      for (const m of html.matchAll(/<div class="verdict verdict-[a-z-]+"(?: id="([^"]+)")?>\s*<p class="verdict-title">((?:<span id="[^"]+"><\/span>)*)/g)) {
        if (m[1]) boxes.add(m[1]);
        for (const span of m[2].matchAll(/id="([^"]+)"/g)) boxes.add(span[1]);
      }
      for (const m of html.matchAll(/<p class="test-source" id="([^"]+)">/g)) tests.add(m[1]);
    }
    cache.set(file, html === null ? null : { boxes, tests });
  }
  return cache.get(file);
}

// Link syntax left as text in the prose, outside code: what mdBook prints for
// a link written inside another link's text (CommonMark lets the inner one
// win), e.g. `[{{#test name}}](chapter.md#heading)`, since `{{#test}}` is a
// link already. Runs in the page.
function literalMarkdown() {
  const left = [];
  const main = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('pre, code, script, style, svg')) continue;
    const found = node.textContent.match(/\]\([^)\s]+\)/);
    if (found) left.push(found[0]);
  }
  return left.slice(0, 5);
}

function checkVerdictLinks(root, origin, name, links, problems, cache) {
  for (const { url } of links) {
    if (!url.startsWith(origin + '/')) continue;
    const target = new URL(url);
    const fragment = decodeURIComponent(target.hash.slice(1));
    const kind = fragment.startsWith('verdict-') ? 'boxes' : fragment.startsWith('test-') ? 'tests' : null;
    if (kind === null) continue;
    const file = decodeURIComponent(target.pathname).slice(1) || 'index.html';
    const found = targetsOf(root, file, cache);
    if (found === null || !found[kind].has(fragment)) {
      problems.push(`${name}: link to a ${kind === 'boxes' ? 'verdict box' : 'test entry'} that is not there: ${file}#${fragment}`);
    }
  }
}

// The ids one page of the book defines, for checking #fragments in links.
function idsOf(root, file, cache) {
  if (!cache.has(file)) {
    const html = existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), 'utf8') : null;
    cache.set(file, html === null ? null : new Set([...html.matchAll(/\s(?:id|name)="([^"]+)"/g)].map(m => m[1])));
  }
  return cache.get(file);
}

function checkLinks(root, origin, name, links, problems, idCache) {
  for (const { href, url } of links) {
    if (!url.startsWith(origin + '/')) continue; // other sites are not fetched offline
    // A bare #fragment means this page, whatever <base> the page sets (404.html).
    const target = new URL(href.startsWith('#') ? `${origin}/${name}${href}` : url);
    if (target.search && !target.pathname.endsWith('.html')) continue;
    let file = decodeURIComponent(target.pathname).slice(1) || 'index.html';
    if (file.endsWith('/')) file += 'index.html';
    const ids = idsOf(root, file, idCache);
    if (ids === null) {
      problems.push(`${name}: link to a missing page: ${href}`);
    } else if (target.hash && target.hash !== '#' && file.endsWith('.html')
               && !ids.has(decodeURIComponent(target.hash.slice(1)))) {
      problems.push(`${name}: link to a missing heading: ${href}`);
    }
  }
}

async function search(context, origin, word, problems) {
  const page = await context.newPage();
  watch(page, `search "${word}"`, origin, problems);
  await page.goto(`${origin}/introduction.html`, { timeout: PAGE_TIMEOUT_MS });
  await page.keyboard.press('s');
  const bar = page.locator('#mdbook-searchbar');
  await bar.waitFor({ state: 'visible', timeout: 5000 });
  await bar.pressSequentially(word, { delay: 20 });
  const results = page.locator('#mdbook-searchresults li a');
  // The index loads on first use: nudge the box until results show, for 15 s at most.
  const deadline = Date.now() + 15_000;
  while ((await results.count()) === 0 && Date.now() < deadline) {
    await page.waitForTimeout(500);
    await bar.press('End');
  }
  const hrefs = await results.evaluateAll(as => as.map(a => a.getAttribute('href')));
  await page.close();
  if (hrefs.length === 0) problems.push(`search: no results for "${word}"`);
  return hrefs;
}

async function screenshots(context, origin, dir, problems) {
  mkdirSync(dir, { recursive: true });
  const page = await context.newPage();
  watch(page, 'screenshots', origin, problems);
  const taken = [];
  for (const name of SCREENSHOT_PAGES) {
    await page.goto(`${origin}/${name}`, { timeout: PAGE_TIMEOUT_MS });
    await page.evaluate(() => document.fonts.ready);
    const file = path.join(dir, name.replace(/\.html$/, '.png'));
    await page.screenshot({ path: file });
    taken.push(file);
  }
  // Close-ups: a captioned listing, the verdict boxes, a chart.
  const closeUps = [
    ['ch02-scheduling.html', 'main p:has(> .caption)', 'ch02-scheduling-listing.png', true],
    ['ch02-scheduling.html', 'main div.verdict', 'ch02-scheduling-verdicts.png', false],
    ['appendix-measurements.html', 'main figure', 'appendix-measurements-chart.png', false],
  ];
  for (const [name, selector, out, withNext] of closeUps) {
    await page.goto(`${origin}/${name}`, { timeout: PAGE_TIMEOUT_MS });
    // The sticky menu bar would cover the top of a close-up.
    await page.addStyleTag({ content: '#mdbook-menu-bar { visibility: hidden; }' });
    const first = page.locator(selector).first();
    if ((await first.count()) === 0) continue;
    const box = await first.evaluate((el, withNext) => {
      // The box around the element and (for a caption) the code block after it,
      // or (for verdicts) every verdict box in a row.
      let els = [el];
      if (withNext && el.nextElementSibling) els.push(el.nextElementSibling);
      if (el.classList.contains('verdict')) {
        els = [];
        for (let e = el; e && e.classList.contains('verdict'); e = e.nextElementSibling) els.push(e);
      }
      els[0].scrollIntoView();
      const rects = els.map(e => e.getBoundingClientRect());
      const top = Math.min(...rects.map(r => r.top)) + window.scrollY;
      const bottom = Math.max(...rects.map(r => r.bottom)) + window.scrollY;
      const left = Math.min(...rects.map(r => r.left));
      const right = Math.max(...rects.map(r => r.right));
      return { x: Math.max(0, left - 12), y: Math.max(0, top - 12), width: right - left + 24, height: Math.min(bottom - top + 24, 2400) };
    }, withNext);
    const file = path.join(dir, out);
    await page.screenshot({ path: file, fullPage: true, clip: box });
    taken.push(file);
  }
  await page.close();
  return taken;
}

// Checks the book in `root`; `only` limits the visit to some pages (self-test).
async function checkBook(root, { only = null, screenshotDir = null } = {}) {
  const problems = [];
  const { server, origin } = await serve(root);
  const browser = await launch();
  try {
    const context = await newContext(browser, origin, problems);
    const toc = await tocPages(context, origin);
    if (toc.length === 0) problems.push('toc.html lists no pages');
    const pages = only || [...new Set([...toc, ...EXTRA_PAGES])];
    const idCache = new Map();
    const verdictCache = new Map();
    let charts = 0;
    let fits = null;
    const pageText = {};
    const seenByPage = {};
    for (const name of pages) {
      const page = await context.newPage();
      watch(page, name, origin, problems);
      try {
        const t0 = Date.now();
        await page.goto(`${origin}/${name}`, { timeout: PAGE_TIMEOUT_MS, waitUntil: 'load' });
        if (process.env.BOOK_CHECK_DEBUG) console.log(`  ${name}: loaded in ${Date.now() - t0} ms`);
        await page.evaluate(() => document.fonts.ready);
        const seen = await inspect(page);
        pageText[name] = seen.text;
        seenByPage[name] = seen;
        charts += seen.charts;
        if (seen.charts > 0) {
          // At phone width in a page of its own, loaded at that width so
          // mdBook lays it out as on a phone (it hides its sidebar on load
          // below 1080 px); the desktop page has already been watched for
          // errors, and reloading it would abort its late requests.
          const phone = await context.newPage();
          try {
            await phone.setViewportSize(PHONE);
            await phone.goto(`${origin}/${name}`, { timeout: PAGE_TIMEOUT_MS, waitUntil: 'load' });
            for (const [viewport, shown] of [[DESKTOP, page], [PHONE, phone]]) {
              for (const c of await shown.evaluate(chartSizes)) {
                const at = `${name}: chart ${c.id} at ${viewport.width} px`;
                if (c.mark === null) problems.push(`${at}: draws no bar or point`);
                else if (c.mark < CHART_MIN_MARK_PX) problems.push(`${at}: smallest mark is ${c.mark.toFixed(1)} px (at least ${CHART_MIN_MARK_PX})`);
                if (c.text !== null && c.text < CHART_MIN_TEXT_PX) problems.push(`${at}: smallest text is ${c.text.toFixed(1)} px (at least ${CHART_MIN_TEXT_PX})`);
              }
            }
          } finally {
            await phone.close();
          }
        }
        await checkDiagrams(context, origin, name, page, problems);
        for (const left of await page.evaluate(literalMarkdown)) {
          problems.push(`${name}: Markdown shown as text (a link inside a link's text?): "${short(left)}"`);
        }
        for (const src of seen.brokenImages) problems.push(`${name}: image did not load: ${short(src)}`);
        for (const first of seen.uncaptioned) problems.push(`${name}: Rust block without a caption naming its file: "${short(first)}"`);
        for (const named of seen.captionPaths) {
          if (!/^listings\//.test(named)) problems.push(`${name}: caption does not name a listings/ file: "${short(named)}"`);
          else if (!existsSync(path.join(REPO_ROOT, named))) problems.push(`${name}: caption names a file that does not exist: ${named}`);
        }
        for (const { kind, word } of seen.verdicts) {
          const want = VERDICT_KINDS[word];
          if (!want) problems.push(`${name}: verdict "${word}" is not one of: ${Object.keys(VERDICT_KINDS).join(' / ')}`);
          else if (want !== kind) problems.push(`${name}: verdict "${word}" is in a ${kind} box, not a ${want} box`);
        }
        checkVerdictLinks(root, origin, name, seen.links, problems, verdictCache);
        if (!NO_SCROLL_SKIP.includes(name)) {
          for (const s of seen.scrolling) {
            problems.push(`${name}: code block scrolls sideways at ${DESKTOP.width} px: ${short(s.label)}: ` +
              `${s.scrollWidth} px of content in ${s.clientWidth} px; its longest line has ${s.longest} characters` +
              (seen.fits === null ? '' : `, ${seen.fits} fit`));
          }
          if (seen.fits !== null) fits = fits === null ? seen.fits : Math.min(fits, seen.fits);
        }
        const required = REQUIRED_CODE[name];
        if (required && !seen.codeText.includes(required)) problems.push(`${name}: no code block shows "${required}"`);
        checkLinks(root, origin, name, seen.links, problems, idCache);
      } catch (err) {
        problems.push(`${name}: could not be checked: ${short(err.message)}`);
      }
      await page.close();
    }
    let searched = 0;
    if (!only) {
      if (charts === 0) problems.push('no chart (figure.measured-chart with an inline SVG) in the whole book');
      for (const name of Object.keys(REQUIRED_CODE)) {
        if (!pages.includes(name)) problems.push(`${name} is not in the table of contents`);
      }
      for (const word of SEARCH_WORDS) {
        const mentioned = toc.some(n => (pageText[n] || '').toLowerCase().includes(word));
        if (!mentioned) problems.push(`search: no page of the book mentions "${word}" yet, so the search cannot find it`);
        const hits = await search(context, origin, word, problems);
        searched += hits.length;
        console.log(`  search "${word}": ${hits.length} results (${hits.slice(0, 3).join(', ')}${hits.length > 3 ? ', ...' : ''})`);
      }
    }
    let shots = [];
    if (screenshotDir) shots = await screenshots(context, origin, screenshotDir, problems);
    await context.close();
    return { problems, pages, charts, shots, searched, seenByPage, fits };
  } finally {
    await browser.close();
    server.close();
  }
}

// Plants one fault of each kind in a temporary copy of the book, checks the
// planted pages, and fails unless every fault is reported.
async function selfTest(bookDir) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'book-self-test-'));
  try {
    cpSync(bookDir, tmp, { recursive: true });
    const plant = (file, transform) => {
      const p = path.join(tmp, file);
      const before = readFileSync(p, 'utf8');
      const after = transform(before);
      if (after === before) throw new Error(`self-test: could not plant a fault in ${file}`);
      writeFileSync(p, after);
    };
    const intoMain = html => html.replace('<main>', `<main>
<img src="self-test-missing.png" alt="planted: missing image">
<img src="http://self-test.invalid/pixel.png" alt="planted: remote image">
<script>console.error("planted console error");</script>
<script>throw new Error("planted exception");</script>
<p><a href="ch02-scheduling.html#planted-missing-heading">planted broken anchor</a></p>
<p><a href="ch02-scheduling.html#verdict-planted-missing-statement">planted verdict link without its box</a></p>
<p>[<a href="ch02-scheduling.html"><code>planted_test</code></a>](ch02-scheduling.md#planted-nested-link)</p>
<pre><code class="language-console hljs">planted wide line ${'x'.repeat(300)}</code></pre>`);
    plant('introduction.html', intoMain);
    // Two charts: one with an invisible series (a bar 0 px high), one with
    // text too small to read on a phone.
    plant('introduction.html', html => html.replace('<main>', `<main>
<figure class="measured-chart" id="chart-planted-invisible"><svg width="100%" style="max-width: 560px; height: auto" viewBox="0 0 560 80"><text x="12" y="20" font-size="15">planted</text><rect x="12" y="40" width="300" height="16" fill="#0072B2"/><rect x="12" y="60" width="300" height="0" fill="#D55E00"/></svg></figure>
<figure class="measured-chart" id="chart-planted-tiny-text"><svg width="100%" style="max-width: 560px; height: auto" viewBox="0 0 560 80"><text x="12" y="20" font-size="11">planted</text><rect x="12" y="40" width="300" height="16" fill="#0072B2"/></svg></figure>`));
    // A diagram with text too small on a phone, a word past its box, and a
    // word wider than the outline of its node.
    plant('introduction.html', html => html.replace('<main>', `<main>
<figure class="book-diagram" id="diagram-planted"><svg class="book-diagram" viewBox="0 0 560 80" width="100%" style="max-width: 560px; height: auto"><text x="12" y="20" font-size="11">planted small</text><text x="600" y="20" font-size="14">planted outside</text><g class="node"><polygon fill="none" stroke="currentColor" points="12,70 60,70 60,40 12,40 12,70"/><text x="14" y="60" font-size="14">planted spilled word</text></g></svg></figure>`));
    plant('ch02-scheduling.html', html => html
      // drop the first caption, give the first "holds" verdict the wrong box,
      // and give a heading the id of a box it is not
      .replace(/<p><span class="caption">[\s\S]*?<\/span><\/p>/, '')
      .replace(/class="verdict verdict-holds"/, 'class="verdict verdict-does-not-hold"')
      .replace(/<h2 id="the-verdict">/, '<h2 id="the-verdict"><span id="verdict-planted-heading"></span>'));
    plant('introduction.html', html => html.replace('<main>',
      '<main><p><a href="ch02-scheduling.html#verdict-planted-heading">planted verdict link to a heading</a></p>'));
    const expected = [
      ['introduction.html: image did not load: self-test-missing.png', 'a missing image'],
      ['introduction.html: request to another host: http://self-test.invalid/pixel.png', 'a request to another host'],
      ['introduction.html: console error: planted console error', 'a console error'],
      ['introduction.html: uncaught exception: planted exception', 'an uncaught exception'],
      ['introduction.html: link to a missing heading: ch02-scheduling.html#planted-missing-heading', 'a broken anchor'],
      ['ch02-scheduling.html: Rust block without a caption', 'a listing without its caption'],
      ['ch02-scheduling.html: verdict "Verdict: holds" is in a verdict-does-not-hold box', 'a verdict in the wrong box'],
      ['introduction.html: link to a verdict box that is not there: ch02-scheduling.html#verdict-planted-missing-statement', 'a verdict link without its anchor'],
      ['introduction.html: Markdown shown as text (a link inside a link\'s text?): "](ch02-scheduling.md#planted-nested-link)"', 'a link written inside a link'],
      ['introduction.html: link to a verdict box that is not there: ch02-scheduling.html#verdict-planted-heading', 'a verdict link landing outside a verdict box'],
      ['introduction.html: HTTP 404', 'a failed request'],
      ['introduction.html: chart chart-planted-invisible at 1280 px: smallest mark is 0.0 px', 'an invisible chart series at desktop width'],
      ['introduction.html: chart chart-planted-invisible at 400 px: smallest mark is 0.0 px', 'an invisible chart series at phone width'],
      ['introduction.html: chart chart-planted-tiny-text at 400 px: smallest text is', 'chart text too small at phone width'],
      ['introduction.html: diagram diagram-planted at 400 px: smallest text is', 'diagram text too small at phone width'],
      ['introduction.html: diagram diagram-planted at 1280 px: drawn outside its box', 'a diagram drawn outside its box'],
      ['introduction.html: diagram diagram-planted at 1280 px: text outside its node', 'diagram text spilling out of its node'],
      ['introduction.html: code block scrolls sideways at 1280 px: "planted wide line', 'a code block that scrolls'],
    ];
    // Not a fault: with a repository address, captions must link to their files.
    const repository = 'https://repository.invalid/owner/book';
    plant('ch02-scheduling.html', html => html.replace('<main>',
      `<main><a href="${repository}" aria-label="Git repository" hidden>planted repository button</a>`));
    const { problems, seenByPage } = await checkBook(tmp, { only: ['introduction.html', 'ch02-scheduling.html'] });
    let missed = 0;
    const links = seenByPage['ch02-scheduling.html']?.captionLinks || [];
    const linked = links.length > 0 && links.every(l => l.startsWith(`${repository}/blob/HEAD/listings/ch02-scheduling/`));
    console.log(`  ${linked ? 'ok' : 'FAILED'}: captions link to their files once a repository address is set (${links.length} links)`);
    if (!linked) missed += 1;
    for (const [needle, what] of expected) {
      const caught = problems.some(p => p.startsWith(needle));
      console.log(`  ${caught ? 'caught' : 'MISSED'}: ${what}`);
      if (!caught) missed += 1;
    }
    if (missed > 0) {
      console.error(`self-test: the browser check failed ${missed} of its self-tests; it reported:\n  ${problems.join('\n  ')}`);
      return false;
    }
    console.log(`self-test: all ${expected.length} planted faults were caught`);
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main() {
  const args = process.argv.slice(2);
  const selfTestMode = args.includes('--self-test');
  const shotIndex = args.indexOf('--screenshots');
  const screenshotDir = shotIndex >= 0 ? path.resolve(args[shotIndex + 1]) : null;
  const positional = args.filter((a, i) => !a.startsWith('--') && (shotIndex < 0 || i !== shotIndex + 1));
  const bookDir = path.resolve(positional[0] || path.join(REPO_ROOT, 'book'));
  if (!existsSync(path.join(bookDir, 'toc.html'))) {
    console.error(`error: ${bookDir} holds no built book (no toc.html): run 'bash ci/build-book.sh' first`);
    return 2;
  }
  if (selfTestMode) return (await selfTest(bookDir)) ? 0 : 1;

  // Check a snapshot: `mdbook serve` or another build may rewrite book/ meanwhile.
  const snapshot = mkdtempSync(path.join(tmpdir(), 'book-check-'));
  let result;
  try {
    cpSync(bookDir, snapshot, { recursive: true, filter: src => !src.startsWith(path.join(bookDir, 'screenshots')) });
    result = await checkBook(snapshot, { screenshotDir });
  } finally {
    rmSync(snapshot, { recursive: true, force: true });
  }
  const { problems, pages, charts, shots, searched, fits } = result;
  console.log(`  ${pages.length} pages opened: ${pages.join(', ')}`);
  console.log(`  ${charts} charts, ${searched} search results`);
  if (fits !== null) console.log(`  a code block fits lines of up to ${fits} characters at ${DESKTOP.width} px`);
  for (const shot of shots) console.log(`  screenshot: ${path.relative(process.cwd(), shot)}`);
  if (problems.length > 0) {
    console.error(`error: a reader would meet ${problems.length} problem(s):\n  ${[...new Set(problems)].join('\n  ')}`);
    return 1;
  }
  console.log('browser check: every page loaded cleanly');
  return 0;
}

// A watchdog, so a stuck browser can never hang CI.
const watchdog = setTimeout(() => {
  console.error('error: the browser check took more than 5 minutes; giving up');
  process.exit(3);
}, 5 * 60_000);
watchdog.unref();
main().then(code => { process.exitCode = code; }, err => { console.error(err); process.exitCode = 1; });
