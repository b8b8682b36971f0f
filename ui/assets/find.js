// The Find tab's results: Copy as Markdown, Download CSV, and "open in the article" (an event
// carrying the document and the mention's offsets).
element.addEventListener('click', (e) => {
  const copy = e.target.closest('.rq-find-copy');
  if (copy) {
    copyMarkdown(copy);
    return;
  }
  const save = e.target.closest('.rq-find-download');
  if (save) {
    const blob = new Blob([save.dataset.csv], {type: 'text/csv;charset=utf-8'});
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = save.dataset.name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    return;
  }
  const open = e.target.closest('.rq-find-open');
  if (open) trigger('click', {doc: open.dataset.doc, start: Number(open.dataset.start), end: Number(open.dataset.end)});
});
