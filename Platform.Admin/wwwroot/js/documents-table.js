// The documents table loads its next keyset page when its last row scrolls into view. Blazor's Virtualize renders
// only the rows in view; this watches the status row after them, inside the table's own scroll container.
export function observeEnd(endRow, table) {
  const root = endRow.closest('.mud-table-container');
  let visible = false;
  let pumping = false;

  // One page at a time; while the end stays in view (a short page, a tall window) ask again, after the page's rows
  // were drawn and the observer has had a chance to report that they pushed the end out of view.
  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      while (visible && await table.invokeMethodAsync('EndInView')) {
        await new Promise(resolve => setTimeout(resolve, 150));
      }
    } catch {
      // The page was left while a page was loading.
    } finally {
      pumping = false;
    }
  }

  // A margin below the view starts the next page a little before the end is reached.
  const observer = new IntersectionObserver(entries => {
    visible = entries[entries.length - 1].isIntersecting;
    if (visible) pump();
  }, { root, rootMargin: '0px 0px 200px 0px' });
  observer.observe(endRow);

  // Tab from the last drawn row would skip every row Virtualize has not drawn yet and leave the table when the drawing
  // lags behind the keyboard (a slow machine, a held key). Then the next row is awaited and focused instead.
  const tbody = endRow.parentElement;
  let waiting = null;
  function onKeyDown(event) {
    if (event.key !== 'Tab' || event.altKey || event.ctrlKey || event.metaKey) return;
    const row = event.target.closest && event.target.closest('tr.documents-row');
    if (!row || !row.contains(event.target) || event.target.tagName !== 'BUTTON') return;
    const forward = !event.shiftKey;
    const sibling = forward ? row.nextElementSibling : row.previousElementSibling;
    // A drawn row next: the browser's own Tab. A spacer of no height: nothing is left to draw on that side.
    if (!sibling || sibling.classList.contains('documents-row') || !isSpacer(sibling)) return;
    event.preventDefault();
    if (waiting) return;
    row.scrollIntoView({ block: 'nearest' });
    if (root) root.scrollTop += forward ? row.offsetHeight : -row.offsetHeight;
    waiting = new Promise(resolve => {
      const done = () => { mutations.disconnect(); clearTimeout(timer); waiting = null; resolve(); };
      const tryFocus = () => {
        const drawn = forward ? row.nextElementSibling : row.previousElementSibling;
        const next = drawn && drawn.classList.contains('documents-row') && drawn.querySelector('button');
        if (next) { next.focus(); next.scrollIntoView({ block: 'nearest' }); done(); }
      };
      const mutations = new MutationObserver(tryFocus);
      mutations.observe(tbody, { childList: true });
      // The row was removed (the list was replaced) or never comes: give the key back to the user.
      const timer = setTimeout(done, 3000);
      tryFocus();
    });
  }

  function isSpacer(element) {
    return !element.classList.contains('documents-end') && element.getBoundingClientRect().height > 0;
  }

  tbody.addEventListener('keydown', onKeyDown);

  return {
    toTop() { if (root) root.scrollTop = 0; },
    dispose() { observer.disconnect(); tbody.removeEventListener('keydown', onKeyDown); visible = false; },
  };
}
