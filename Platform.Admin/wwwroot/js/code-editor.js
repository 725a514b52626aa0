// The function code editor: Tab inserts two spaces (Escape, then Tab, leaves the editor), and a line can be
// selected and scrolled into view (a save's syntax error).
export function attach(el) {
  if (!el || el.dataset.codeEditor) return;
  el.dataset.codeEditor = '1';
  let escaped = false;
  el.addEventListener('keydown', e => {
    if (e.key === 'Escape') { escaped = true; return; }
    if (e.key !== 'Tab' || e.shiftKey || e.ctrlKey || e.altKey || e.metaKey || escaped) { escaped = false; return; }
    e.preventDefault();
    const start = el.selectionStart, end = el.selectionEnd;
    el.value = el.value.slice(0, start) + '  ' + el.value.slice(end);
    el.selectionStart = el.selectionEnd = start + 2;
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

export function markLine(el, line) {
  if (!el || !line) return;
  const lines = el.value.split('\n');
  const index = Math.min(Math.max(line, 1), lines.length) - 1;
  let start = 0;
  for (let i = 0; i < index; i++) start += lines[i].length + 1;
  el.focus();
  el.setSelectionRange(start, start + lines[index].length);
  const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 20;
  el.scrollTop = Math.max(0, (index - 3) * lineHeight);
}
