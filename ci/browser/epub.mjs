// The book as an EPUB 3, made by pandoc (Debian's package) from mdBook's print
// page, for epubcheck to validate. Run by ci/offline.sh.
//
//   node epub.mjs BOOK_DIR OUT.epub
//
// Why pandoc and not mdbook-epub: mdbook-epub 0.5.4 and 0.5.3 need Rust 1.96
// (the workspace is on 1.95); 0.5.2 builds, in four minutes here, but writes
// XHTML 1.1 in which epubcheck 4.2.6 finds 447 errors in this book (<details>
// not allowed, links to chapters left as `.md`, missing fragments). The print
// page has every chapter with its links already turned into in-page anchors,
// so pandoc only needs it cleaned of what an e-reader has no use for.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const TITLE = 'Coroutines versus Threads, Checked in Rust';
const AUTHOR = 'The coroutines-versus-threads contributors';

// The print page's <main>, made into the HTML pandoc reads: charts into SVG
// files (pandoc's HTML reader mangles inline SVG), icons dropped, mdBook's
// hidden listing lines dropped (the page hides them with CSS), links to files
// beside the site unlinked, and ids on the
// elements whose ids pandoc drops moved onto an empty span inside them.
export function epubSource(printHtml, dir) {
  const start = printHtml.indexOf('<main>');
  const end = printHtml.indexOf('</main>');
  if (start < 0 || end < 0) throw new Error('print.html has no <main>');
  let html = printHtml.slice(start + '<main>'.length, end);
  let charts = 0;
  const chartFile = svg => {
    charts += 1;
    const name = `chart-${charts}.svg`;
    // A file of SVG is XML: it needs its namespace, and the case of its
    // attributes (an HTML page accepts `viewbox` for `viewBox`, XML does not).
    let file = /<svg[^>]*\sxmlns=/.test(svg) ? svg : svg.replace('<svg', '<svg xmlns="http://www.w3.org/2000/svg"');
    file = file.replace(/(<svg[^>]*\s)viewbox=/, '$1viewBox=');
    writeFileSync(path.join(dir, name), file);
    return name;
  };
  // Diagrams (figure.book-diagram, tools/src/preprocess/diagram.rs) go the same way.
  html = html.replace(/(<figure class="(?:measured-chart|book-diagram)"[^>]*>)([\s\S]*?)(<\/figure>)/g, (_, open, inner, close) => {
    const caption = (inner.match(/<figcaption>([\s\S]*?)<\/figcaption>/) || [, ''])[1];
    const alt = caption.replace(/<[^>]*>/g, '').split('. ')[0].replace(/"/g, '&quot;');
    const body = inner
      .replace(/<img [^>]*src="data:image\/svg\+xml;base64,([^"]+)"[^>]*>/g,
        (__, data) => `<img src="${chartFile(Buffer.from(data, 'base64').toString('utf8'))}" alt="${alt}">`)
      .replace(/<svg[\s\S]*?<\/svg>/g, svg => `<img src="${chartFile(svg)}" alt="${alt}">`);
    return open + body + close;
  });
  html = html
    // A link to a file beside the site (the downloads) goes nowhere inside the
    // EPUB: keep its words, drop the link.
    .replace(/<a href="(?![#]|[a-z]+:)[^"]*"[^>]*>([\s\S]*?)<\/a>/g, '$1')
    .replace(/<svg[\s\S]*?<\/svg>/g, '')
    .replace(/<span class="boring">[\s\S]*?<\/span>/g, '')
    .replace(/<(dt|li|td|th|tr|p)( [^>]*?)? id="([^"]+)"([^>]*)>/g, '<$1$2$4><span id="$3"></span>');
  return { html: `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${TITLE}</title></head><body>${html}</body></html>`, charts };
}

export function makeEpub(bookDir, out) {
  const dir = mkdtempSync(path.join(tmpdir(), 'book-epub-'));
  try {
    const { html, charts } = epubSource(readFileSync(path.join(bookDir, 'print.html'), 'utf8'), dir);
    writeFileSync(path.join(dir, 'book.html'), html);
    // The chapters (<h1>) become the EPUB's files; the contents lists them
    // and their sections. Read as plain `html`, pandoc keeps a <details>
    // exercise answer's words, not the element: in the EPUB each answer
    // follows its "Answer" line openly. (`html+raw_html` keeps <details>, but
    // wraps <summary>'s text in a <p>, which epubcheck 4.2.6 rejects.)
    execFileSync('pandoc', [
      '--from', 'html', '--to', 'epub3', '--epub-chapter-level=1', '--toc', '--toc-depth=2',
      '--metadata', `title=${TITLE}`, '--metadata', `author=${AUTHOR}`, '--metadata', 'lang=en',
      '--resource-path', dir, '--output', path.resolve(out), path.join(dir, 'book.html'),
    ], { stdio: ['ignore', 'inherit', 'inherit'] });
    return { charts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [bookDir, out] = process.argv.slice(2);
  if (!bookDir || !out) {
    console.error('usage: node epub.mjs BOOK_DIR OUT.epub');
    process.exit(2);
  }
  try {
    const { charts } = makeEpub(bookDir, out);
    console.log(`${out}: made by pandoc from ${bookDir}/print.html, ${charts} charts`);
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(2);
  }
}
