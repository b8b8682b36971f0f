// The full article: its highlighted passage scrolls into view inside the article's box; the page
// itself scrolls to the article only when a passage's "open" button asked for it (passages.js),
// not when the article follows a new answer.
watch('value', () => {
  const hit = element.querySelector('#rq-hit');
  const box = element.querySelector('.rq-article-text');
  if (!hit || !box) return;
  box.scrollTop += hit.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 4;
  if (window.rqRevealArticle) {
    window.rqRevealArticle = false;
    hit.scrollIntoView({block: 'nearest'});
  }
});
