// Turns the file path in each listing caption into a link to that file in the
// repository. It needs the repository's address, which is one setting:
// `git-repository-url` in book.toml's [output.html] (mdBook then shows it as
// the repository button in the menu bar, where this script reads it). Without
// that setting, captions stay plain text. Links use GitHub's `blob/HEAD/` form,
// which opens the file on the repository's default branch.
(function linkCaptions() {
    'use strict';
    const button = document.querySelector('a[aria-label="Git repository"]');
    if (!button) {
        return;
    }
    const repository = button.getAttribute('href').replace(/\/+$/, '');
    document.querySelectorAll('.caption code').forEach(code => {
        const file = code.textContent.trim();
        if (!/^listings\/[\w./-]+$/.test(file) || code.closest('a')) {
            return;
        }
        const link = document.createElement('a');
        link.href = `${repository}/blob/HEAD/${file}`;
        link.title = 'This file in the repository';
        code.replaceWith(link);
        link.appendChild(code);
    });
})();
