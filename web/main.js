// Entry point: /builds/<id> shows one build, anything else the search page.
import { startBuildPage } from './build_page.js';
import { startSearchPage } from './search_page.js';

const root = document.getElementById('app');
const input = document.getElementById('q');
const form = document.getElementById('search-form');
const build = /^\/builds\/([^/]+)\/?$/.exec(window.location.pathname);

if (build) {
  // The box searches the whole archive from here: a plain GET to /?q=...
  startBuildPage(root, decodeURIComponent(build[1]));
} else {
  startSearchPage(root, input, form);
}

// Escape anywhere closes the syntax help.
document.addEventListener('keydown', (e) => {
  const help = document.getElementById('syntax');
  if (e.key === 'Escape' && help && help.open) {
    help.open = false;
    help.querySelector('summary').focus();
  }
});
