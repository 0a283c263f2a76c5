// Long form submissions (imports): say that work is under way and prevent double submits.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("[data-busy]")) return;
  const button = form.querySelector("button[type=submit]");
  if (button) {
    button.disabled = true;
    button.textContent = form.dataset.busy;
  }
  const status = form.querySelector("[role=status]");
  if (status) status.hidden = false;
});
