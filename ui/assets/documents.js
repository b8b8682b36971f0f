// The documents table: a filter box and sortable columns, in the browser. The choice survives
// the table being redrawn (after an upload, or every few seconds while the folder is watched).
const apply = () => {
  const table = element.querySelector('table.rq-docs');
  if (!table) return;
  const wanted = element.dataset.filter || '';
  const input = element.querySelector('.rq-filter');
  if (input && input.value !== wanted) input.value = wanted;
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const col = element.dataset.sortCol;
  if (col) {
    const dir = element.dataset.sortDir === 'desc' ? -1 : 1;
    const key = (row) => row.cells[Number(col)].dataset.sort || '';
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      if (!x || !y) return (x ? 0 : 1) - (y ? 0 : 1);  // Unknown values last, either way.
      return dir * x.localeCompare(y, undefined, {numeric: true, sensitivity: 'base'});
    });
    rows.forEach((row) => body.appendChild(row));
    table.querySelectorAll('th').forEach((th, i) => {
      th.setAttribute('aria-sort', String(i) === col ? (dir > 0 ? 'ascending' : 'descending') : 'none');
    });
  }
  const needle = wanted.trim().toLowerCase();
  let shown = 0;
  rows.forEach((row) => {
    row.hidden = needle !== '' && !row.textContent.toLowerCase().includes(needle);
    if (!row.hidden) shown += 1;
  });
  const count = element.querySelector('.rq-count');
  if (count) count.textContent = needle ? shown + ' of ' + rows.length + ' documents' : rows.length + ' documents';
};
element.addEventListener('input', (e) => {
  if (!e.target.closest('.rq-filter')) return;
  element.dataset.filter = e.target.value;
  apply();
});
element.addEventListener('click', (e) => {
  const button = e.target.closest('.rq-sort');
  if (!button) return;
  const col = button.dataset.col;
  element.dataset.sortDir = element.dataset.sortCol === col && element.dataset.sortDir !== 'desc' ? 'desc' : 'asc';
  element.dataset.sortCol = col;
  apply();
});
watch('value', apply);
apply();
