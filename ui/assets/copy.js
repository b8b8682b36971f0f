// "Copy as Markdown": a button's data-md to the clipboard (through a textarea where the clipboard API
// is not offered: plain http on another host), then "Copied" on the button for a moment.
const copyMarkdown = (button) => {
  const done = () => {
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy as Markdown'; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(button.dataset.md).then(done);
  } else {
    const area = document.createElement('textarea');
    area.value = button.dataset.md;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
    done();
  }
};
