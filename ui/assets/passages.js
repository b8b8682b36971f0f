// The cited passages: "open" buttons become events carrying the passage; a focused passage
// (a citation marker was clicked) scrolls into view.
element.addEventListener('click', (e) => {
  const b = e.target.closest('.rq-open');
  if (b) window.rqRevealArticle = true;  // Asked for: the page scrolls to the article (article.js).
  if (b) trigger('click', {doc: b.dataset.doc, start: Number(b.dataset.start), end: Number(b.dataset.end),
                          quotes: b.dataset.quotes});
});
watch('value', () => {
  const card = element.querySelector('.rq-focus');
  if (card) card.scrollIntoView({block: 'nearest', behavior: 'smooth'});
});
