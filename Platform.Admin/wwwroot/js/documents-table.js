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

  return {
    toTop() { if (root) root.scrollTop = 0; },
    dispose() { observer.disconnect(); visible = false; },
  };
}
