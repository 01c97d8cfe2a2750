// Checks the book's PDF (made by pdf.mjs) with poppler's tools, for what a reader
// of the paper book would miss. Run by ci/offline.sh.
//
//   node check-pdf.mjs BOOK_DIR PDF          check PDF against BOOK_DIR and src/SUMMARY.md
//   node check-pdf.mjs --self-test BOOK_DIR  print planted faults from a copy of
//                                            BOOK_DIR's print page, and show each is caught
//
// What it checks (pdfinfo, pdftotext, pdftotext -bbox):
//   pages     the page count lies within PAGES (below);
//   chapters  the runs of text set in a chapter title's size are exactly the
//             chapters of src/SUMMARY.md, in its order;
//   charts    every chart of the site's chapter pages is on some page of the PDF:
//             a page holds all the text of its SVG (title, axis, series labels);
//   listings  every line of code the print page shows appears whole in the text,
//             no word ends past the right margin, and the body text keeps its
//             size (Chromium shrinks the page to fit a line that does not wrap).
// Exit codes: 0 passed, 1 problems found, 2 usage or I/O error.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printBook, MARGIN_MM, FOOTER_TITLE } from './pdf.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// The print of December 2026 has 390 A4 pages. Fewer than 250 means whole
// chapters or listings went missing; more than 600 means the layout broke
// (a listing one word per line, a font at many times its size).
const PAGES = { min: 250, max: 600 };
const PT_PER_MM = 72 / 25.4;
// Words may end this far past the right margin (rounding in the glyph boxes).
const MARGIN_SLACK_PT = 2;
// A chapter title (<h1>, 2em) is twice the body text's size; the next heading
// down (<h2>) is 1.5 times it.
const TITLE_SIZE = 1.75;
// The height of the body text's glyph boxes (16.3 pt in the print of December
// 2026). Chromium scales a page down to fit a line wider than the paper, so a
// listing that does not wrap shows as smaller text everywhere.
const BODY_TEXT_PT = { min: 14, max: 19 };

// Text compared without whitespace or hyphens: pdftotext joins a word broken
// at a hyphen, and wrapping moves line breaks.
const squash = s => s.replace(/[\s\u00ad-]+/g, '');

// The chapters of src/SUMMARY.md, in order: [title, file.html].
export function summaryChapters(summaryPath) {
  return [...readFileSync(summaryPath, 'utf8').matchAll(/^\s*- \[([^\]]+)\]\(([^)]+)\.md\)/gm)]
    .map(m => [m[1], `${m[2]}.html`]);
}

// The text labels of every chart on the site's chapter pages, chart by chart.
export function siteCharts(bookDir, chapters) {
  const charts = [];
  for (const [, file] of chapters) {
    const html = readFileSync(path.join(bookDir, file), 'utf8');
    // A chart is inline SVG, or an <img> of a data: URI holding it.
    // Diagrams (figure.book-diagram) are checked the same way, by their words.
    for (const m of html.matchAll(/<figure class="(?:measured-chart|book-diagram)"[^>]*>([\s\S]*?)<\/figure>/g)) {
      const data = m[1].match(/src="data:image\/svg\+xml;base64,([^"]+)"/);
      const svg = data ? Buffer.from(data[1], 'base64').toString('utf8') : m[1];
      const labels = [...svg.matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)]
        .map(t => t[1].replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
          .replace(/&#39;|&apos;/g, "'").replace(/&amp;/g, '&').trim())
        .filter(Boolean);
      charts.push({ file, title: labels[0] || '(untitled)', labels: [...new Set(labels.map(squash))] });
    }
  }
  return charts;
}

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')}: ${e.code === 'ENOENT' ? 'not installed (Debian package poppler-utils)' : e.message}`);
  }
}

// The footer pdf.mjs prints on every page: the title and "N / M", on one line
// or two as pdftotext reads them.
const isFooter = line => line === FOOTER_TITLE || /^\d+ \/ \d+$/.test(line)
  || (line.startsWith(FOOTER_TITLE) && /^\d+ \/ \d+$/.test(line.slice(FOOTER_TITLE.length).trim()));

// Checks one PDF. `expected`: { titles: [...], charts: [...] }; `shown`: what the
// print page showed (pdf.mjs writes it beside the PDF). Returns the problems found.
export function checkPdf(pdf, expected, shown, pageBounds = PAGES) {
  const problems = [];
  const info = run('pdfinfo', [pdf]);
  const pages = Number((info.match(/^Pages:\s+(\d+)/m) || [])[1]);
  if (!(pages >= pageBounds.min && pages <= pageBounds.max)) {
    problems.push(`pages: ${pages}, outside ${pageBounds.min}..${pageBounds.max}`);
  }

  // Page texts, without the footer (the book's title and "N / M").
  const pageTexts = run('pdftotext', ['-raw', '-enc', 'UTF-8', pdf, '-']).split('\f')
    .map(p => p.split('\n').filter(l => !isFooter(l.trim())));

  // Charts: each on a page that holds all of its labels, in the book's order.
  const squashed = pageTexts.map(lines => squash(lines.join('')));
  let from = 0;
  for (const chart of expected.charts) {
    const at = squashed.findIndex((p, i) => i >= from && chart.labels.every(l => p.includes(l)));
    if (at < 0) problems.push(`charts: "${chart.title}" (${chart.file}) is on no page after page ${from + 1}`);
    else from = at;
  }

  // Listings, 1: every shown line of code appears whole.
  const all = squashed.join('');
  let cut = 0;
  for (const line of new Set(shown.codeLines.map(squash))) {
    if (line && !all.includes(line) && cut++ < 5) problems.push(`listings: a code line is not in the PDF whole: "${line.slice(0, 90)}"`);
  }
  if (cut > 5) problems.push(`listings: ${cut - 5} more code lines not in the PDF whole`);

  // Listings, 2: no word ends past the right margin. Chapters: the words set
  // in a chapter title's size (print.html has no other <h1>), run by run.
  const bbox = run('pdftotext', ['-bbox', pdf, '-']);
  const words = [];
  let page = 0;
  let width = 0;
  for (const m of bbox.matchAll(/<page width="([\d.]+)"|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</g)) {
    if (m[1]) {
      page += 1;
      width = Number(m[1]);
    } else {
      words.push({ page, width, xMax: Number(m[4]), height: Number(m[5]) - Number(m[3]), wide: Number(m[4]) - Number(m[2]), text: m[6] });
    }
  }
  let past = 0;
  for (const w of words) {
    if (w.xMax > w.width - MARGIN_MM * PT_PER_MM + MARGIN_SLACK_PT && past++ < 5) {
      problems.push(`listings: page ${w.page}: "${w.text}" runs past the right margin (x ${w.xMax.toFixed(1)} of ${w.width.toFixed(1)} pt)`);
    }
  }
  if (past > 5) problems.push(`listings: ${past - 5} more words past the right margin`);

  const heights = words.map(w => w.height).sort((a, b) => a - b);
  const body = heights[Math.floor(heights.length / 2)] || 0;
  if (!(body >= BODY_TEXT_PT.min && body <= BODY_TEXT_PT.max)) {
    problems.push(`text size: body text ${body.toFixed(1)} pt high, outside ${BODY_TEXT_PT.min}..${BODY_TEXT_PT.max} (shrunk to fit something wide?)`);
  }
  const opened = [];
  let previous = null;
  for (const w of words) {
    // Upright words only: a chart's rotated axis label is tall and narrow. A
    // word of one or two letters ("a") is narrow upright too; rotated, its box
    // is too short to pass for a title.
    const upright = w.wide >= w.height / 2 || [...w.text].length <= 2;
    const big = w.height >= TITLE_SIZE * body && upright;
    if (big && previous && previous.big && previous.page === w.page) opened[opened.length - 1].text += ' ' + w.text;
    else if (big) opened.push({ page: w.page, text: w.text });
    previous = { big, page: w.page };
  }
  const got = opened.map(o => squash(o.text));
  const want = expected.titles.map(squash);
  if (got.join('\n') !== want.join('\n')) {
    const missing = expected.titles.filter((t, i) => !got.includes(want[i]));
    problems.push(`chapters: ${got.length} chapter titles in the PDF, SUMMARY.md has ${want.length}`
      + (missing.length ? `; missing: ${missing.join(' | ')}` : '; in the PDF: ' + opened.map(o => o.text).join(' | ')));
  }
  return { problems, pages, chapters: opened, charts: expected.charts.length, codeLines: shown.codeLines.length };
}

function expectedFor(bookDir) {
  const chapters = summaryChapters(path.join(REPO_ROOT, 'src', 'SUMMARY.md'));
  return { titles: chapters.map(c => c[0]), charts: siteCharts(bookDir, chapters) };
}

async function selfTest(bookDir) {
  // A small book keeps this quick: the print page cut to three chapters (the
  // first two, and the one with the fewest charts), printed once as is and once
  // per planted fault.
  const chapters = summaryChapters(path.join(REPO_ROOT, 'src', 'SUMMARY.md'));
  const chartCounts = chapters.map(c => siteCharts(bookDir, [c]).length);
  const fewest = Math.min(...chartCounts.filter(n => n > 0));
  const keep = [0, 1, chartCounts.findIndex((n, i) => i > 1 && n === fewest)];
  const kept = keep.map(i => chapters[i]);
  const expected = { titles: kept.map(c => c[0]), charts: siteCharts(bookDir, kept) };
  const bounds = { min: 1, max: PAGES.max };
  const print = readFileSync(path.join(bookDir, 'print.html'), 'utf8');
  const BREAK = '<div style="break-before: page; page-break-before: always;"></div>';
  // parts[0] opens the page and holds chapter 1, parts[k] holds chapter k+1,
  // and the last part also closes the page.
  const parts = print.split(BREAK);
  if (parts.length !== chapters.length) throw new Error(`print.html has ${parts.length} chapters, SUMMARY.md ${chapters.length}`);
  const last = parts[parts.length - 1];
  const closing = last.slice(last.indexOf('</main>'));
  const body = i => (i === parts.length - 1 ? last.slice(0, last.indexOf('</main>')) : parts[i]);
  const small = chaps => chaps.map(body).join(BREAK) + closing;

  const dir = mkdtempSync(path.join(tmpdir(), 'book-pdf-self-test-'));
  let missed = 0;
  try {
    cpSync(bookDir, dir, { recursive: true });
    const cases = [
      ['as built', small(keep), null],
      ['a chapter missing', small(keep.filter(i => i !== 1)), 'chapters: '],
      ['a listing cut at the margin (hidden overflow)', small(keep).replace('</head>',
        '<style>@media print { body .content pre, body .content pre > code { white-space: pre !important; overflow: hidden !important; } }</style></head>'),
        'listings: '],
      // Chromium shrinks every page to fit the widest line instead of letting
      // it run past the margin: the body text's size shows it.
      ['a listing wider than the page (not wrapped)', small(keep).replace('</head>',
        '<style>@media print { body .content pre, body .content pre > code { white-space: pre !important; } }</style></head>')
        .replace('</code></pre>', `\n// ${'a long line '.repeat(16)}</code></pre>`),
        'text size: '],
      ['a chart (or diagram) missing', small(keep).replace(/<figure class="(?:measured-chart|book-diagram)"[^>]*>[\s\S]*?<\/figure>/, ''), 'charts: '],
    ];
    for (const [name, html, wanted] of cases) {
      const page = `self-test-${cases.findIndex(c => c[0] === name)}.html`;
      writeFileSync(path.join(dir, page), html);
      const pdf = path.join(dir, `${page}.pdf`);
      const shown = await printBook(dir, pdf, page);
      const { problems } = checkPdf(pdf, expected, shown, bounds);
      const ok = wanted === null ? problems.length === 0 : problems.some(p => p.startsWith(wanted));
      console.log(`  ${ok ? (wanted === null ? 'ok' : 'caught') : 'FAILED'}: ${name}: ${problems[0] || 'no problem reported'}`);
      if (!ok) {
        missed += 1;
        for (const p of problems) console.log(`    ${p}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (missed) {
    console.error(`error: the PDF check's self-test failed ${missed} time(s)`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  try {
    if (args[0] === '--self-test' && args.length === 2) {
      await selfTest(path.resolve(args[1]));
    } else if (args.length === 2 && !args[0].startsWith('-')) {
      const [bookDir, pdf] = args.map(a => path.resolve(a));
      if (!existsSync(`${pdf}.json`)) throw new Error(`${pdf}.json is missing: make the PDF with pdf.mjs`);
      const shown = JSON.parse(readFileSync(`${pdf}.json`, 'utf8'));
      const result = checkPdf(pdf, expectedFor(bookDir), shown);
      for (const p of result.problems) console.error(`${path.relative(process.cwd(), pdf)}: ${p}`);
      if (result.problems.length) process.exit(1);
      console.log(`PDF: ${result.pages} pages, ${result.chapters.length} chapters in order, ${result.charts} charts, `
        + `${result.codeLines} code lines whole, none past the margin`);
    } else {
      console.error('usage: node check-pdf.mjs BOOK_DIR PDF | --self-test BOOK_DIR');
      process.exit(2);
    }
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(2);
  }
}
