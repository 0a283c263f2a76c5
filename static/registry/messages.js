// Each message floating at the top right gets a button that dismisses it.
for (const message of document.querySelectorAll(".messages .message")) {
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", "Dismiss this message");
  close.addEventListener("click", () => message.remove());
  message.append(close);
}
