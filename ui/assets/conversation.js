// The conversation: "Copy as Markdown" buttons, citation markers (an event carrying the turn and
// the passage number), and the newest turn scrolled into view when it arrives.
element.addEventListener('click', (e) => {
  const copy = e.target.closest('.rq-copy');
  if (copy) {
    copyMarkdown(copy);
    return;
  }
  const cite = e.target.closest('.rq-cite');
  if (!cite) return;
  const turn = cite.closest('.rq-turn');
  trigger('click', {turn: Number(turn.dataset.turn), n: Number(cite.dataset.n)});
});
watch('value', () => {
  const box = element.querySelector('.rq-conversation');
  const latest = element.querySelector('.rq-turn.rq-latest');
  if (!box || !latest) return;
  // The conversation box scrolls to the top of the newest turn; the page scrolls only as far as
  // needed to show it (on a narrow screen the box is below the fold).
  box.scrollTop += latest.getBoundingClientRect().top - box.getBoundingClientRect().top - 4;
  const top = latest.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight - 80) latest.scrollIntoView({block: 'start'});
});
