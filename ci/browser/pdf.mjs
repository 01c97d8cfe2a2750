// The book as one PDF, printed from mdBook's print page by the headless Chromium
// the browser check already drives (check-book.mjs). Run by ci/offline.sh.
//
//   node pdf.mjs BOOK_DIR OUT.pdf [PRINT_PAGE]   print BOOK_DIR/PRINT_PAGE (print.html)
//                                                 to OUT.pdf, and write OUT.pdf.json:
//                                                 what the page showed (for check-pdf.mjs)
//
// Why this and not mdbook-pdf: mdbook-pdf is GPL-3.0, downloads a Chrome of its own
// (the book's checks never fetch a browser), and would be one more renderer to pin
// against mdBook 0.5; Chromium is already installed and pinned for the browser
// check, and playwright-core's page.pdf gives page numbers (displayHeaderFooter)
// and a PDF outline built from the headings (`outline: true`, with `tagged: true`:
// playwright-core/types/types.d.ts, PDFOptions).
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
export const FOOTER_TITLE = 'Coroutines versus Threads, Checked in Rust';
// Left and right page margins; check-pdf.mjs finds text past the right one.
export const MARGIN_MM = 15;
// The page numbers and the book's title in the footer of every page. Chromium
// fills the spans with these classes; the template needs its own font size.
const FOOTER = `<div style="font-size: 8px; width: 100%; padding: 0 ${MARGIN_MM}mm; display: flex;
  justify-content: space-between; color: #555;"><span>${FOOTER_TITLE}</span>
  <span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`;

export async function printBook(bookDir, out, printPage = 'print.html') {
  const root = path.resolve(bookDir);
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM} (set CHROMIUM, or install Debian's chromium)`);
  const { server, origin } = await serve(root);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  try {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    // Nothing from another host goes into the PDF (the playground's crate list
    // is the only remote address the book's pages ask for).
    await context.route('**/*', route =>
      route.request().url().startsWith(origin + '/') ? route.continue() : route.abort('blockedbyclient'));
    const page = await context.newPage();
    // mdBook's print page opens the print dialog when loaded: not here.
    await page.addInitScript(() => { window.print = () => {}; });
    await page.goto(`${origin}/${printPage}`, { waitUntil: 'load', timeout: 120_000 });
    await page.emulateMedia({ media: 'print' });
    // What the page shows, for the PDF check: chapter titles, charts, and the
    // code lines a reader sees (innerText leaves out mdBook's hidden lines).
    const shown = await page.evaluate(async () => {
      const images = Array.from(document.images);
      for (const img of images) img.loading = 'eager';
      await Promise.all(images.map(img => img.complete ? null
        : new Promise(done => { img.onload = done; img.onerror = done; setTimeout(done, 10000); })));
      // A chart is inline SVG, or an <img> of a data: URI holding it.
      const charts = Array.from(document.querySelectorAll('figure.measured-chart')).map(figure => {
        const img = figure.querySelector('img');
        const svg = figure.querySelector('svg');
        const loaded = img ? img.complete && img.naturalWidth > 0 : !!svg && svg.getBoundingClientRect().width > 0;
        return { loaded, title: (figure.querySelector('figcaption') || figure).innerText.split('\n')[0] };
      });
      const codeLines = Array.from(document.querySelectorAll('main pre > code'))
        .flatMap(code => code.innerText.split('\n'))
        .map(line => line.trimEnd())
        .filter(line => line.trim().length > 0);
      const headings = Array.from(document.querySelectorAll('main h1')).map(h => h.innerText.trim());
      return { charts, codeLines, headings };
    });
    await page.pdf({
      path: out,
      format: 'A4',
      margin: { top: '18mm', bottom: '18mm', left: `${MARGIN_MM}mm`, right: `${MARGIN_MM}mm` },
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: FOOTER,
      outline: true,
      tagged: true,
    });
    writeFileSync(`${out}.json`, JSON.stringify(shown));
    return shown;
  } finally {
    await browser.close();
    server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [bookDir, out, printPage] = process.argv.slice(2);
  if (!bookDir || !out) {
    console.error('usage: node pdf.mjs BOOK_DIR OUT.pdf [PRINT_PAGE]');
    process.exit(2);
  }
  try {
    const shown = await printBook(bookDir, out, printPage);
    console.log(`${out}: ${shown.headings.length} chapters, ${shown.charts.length} charts, ${shown.codeLines.length} code lines`);
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(2);
  }
}
