// Print buttons without inline script, so the content security policy can forbid it.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
