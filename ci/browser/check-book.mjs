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
// The verdict words and the admonition kind each one must use.
const VERDICT_KINDS = {
  'Holds.': 'tip',
  'Holds in part.': 'warning',
  'Does not hold for Rust.': 'caution',
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

    // Every admonition that gives a verdict, with its kind (tip, warning, ...).
    const verdicts = Array.from(document.querySelectorAll('main blockquote'))
      .filter(q => /Verdict:/.test(q.textContent))
      .map(q => {
        const kind = (Array.from(q.classList).find(c => c.startsWith('blockquote-tag-')) || 'none')
          .replace('blockquote-tag-', '');
        const strong = Array.from(q.querySelectorAll('strong')).find(s => /Verdict:/.test(s.textContent));
        const word = strong ? strong.textContent.replace(/^.*Verdict:\s*/, '').trim() : '(no bold verdict)';
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
    ['ch02-scheduling.html', 'main blockquote.blockquote-tag', 'ch02-scheduling-verdicts.png', false],
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
      if (el.tagName === 'BLOCKQUOTE') {
        els = [];
        for (let e = el; e && e.tagName === 'BLOCKQUOTE'; e = e.nextElementSibling) els.push(e);
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
<pre><code class="language-console hljs">planted wide line ${'x'.repeat(300)}</code></pre>`);
    plant('introduction.html', intoMain);
    // Two charts: one with an invisible series (a bar 0 px high), one with
    // text too small to read on a phone.
    plant('introduction.html', html => html.replace('<main>', `<main>
<figure class="measured-chart" id="chart-planted-invisible"><svg width="100%" style="max-width: 560px; height: auto" viewBox="0 0 560 80"><text x="12" y="20" font-size="15">planted</text><rect x="12" y="40" width="300" height="16" fill="#0072B2"/><rect x="12" y="60" width="300" height="0" fill="#D55E00"/></svg></figure>
<figure class="measured-chart" id="chart-planted-tiny-text"><svg width="100%" style="max-width: 560px; height: auto" viewBox="0 0 560 80"><text x="12" y="20" font-size="11">planted</text><rect x="12" y="40" width="300" height="16" fill="#0072B2"/></svg></figure>`));
    plant('ch02-scheduling.html', html => html
      // drop the first caption, and give the first "Holds" verdict the wrong box
      .replace(/<p><span class="caption">[\s\S]*?<\/span><\/p>/, '')
      .replace(/blockquote-tag-tip(">\s*<p class="blockquote-tag-title">[\s\S]*?Verdict: Holds\.)/, 'blockquote-tag-caution$1'));
    const expected = [
      ['introduction.html: image did not load: self-test-missing.png', 'a missing image'],
      ['introduction.html: request to another host: http://self-test.invalid/pixel.png', 'a request to another host'],
      ['introduction.html: console error: planted console error', 'a console error'],
      ['introduction.html: uncaught exception: planted exception', 'an uncaught exception'],
      ['introduction.html: link to a missing heading: ch02-scheduling.html#planted-missing-heading', 'a broken anchor'],
      ['ch02-scheduling.html: Rust block without a caption', 'a listing without its caption'],
      ['ch02-scheduling.html: verdict "Holds." is in a caution box', 'a verdict in the wrong box'],
      ['introduction.html: HTTP 404', 'a failed request'],
      ['introduction.html: chart chart-planted-invisible at 1280 px: smallest mark is 0.0 px', 'an invisible chart series at desktop width'],
      ['introduction.html: chart chart-planted-invisible at 400 px: smallest mark is 0.0 px', 'an invisible chart series at phone width'],
      ['introduction.html: chart chart-planted-tiny-text at 400 px: smallest text is', 'chart text too small at phone width'],
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
