// Clinical dates are typed as dd/mm/yyyy; a calendar button beside each box opens the
// browser's date picker and writes the chosen day back in the same convention.
(() => {
  const pad = (n) => String(n).padStart(2, "0");
  const toIso = (text) => {
    const m = text.trim().match(/^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/) ;
    if (m) return `${m[3]}-${pad(m[2])}-${pad(m[1])}`;
    return /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? text.trim() : "";
  };
  for (const box of document.querySelectorAll("input[data-date-picker]")) {
    const picker = document.createElement("input");
    picker.type = "date";
    picker.tabIndex = -1;
    picker.className = "date-picker-native";
    picker.setAttribute("aria-hidden", "true");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "date-picker-button";
    // A drawn calendar: no emoji font is needed to show it.
    button.innerHTML =
      '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">' +
      '<rect x="1.5" y="3" width="13" height="11.5" rx="1.5" fill="none" stroke="currentColor"/>' +
      '<path d="M1.5 6.5h13M5 1.5v3M11 1.5v3" stroke="currentColor"/>' +
      '<path d="M4 9h2v2H4zM7 9h2v2H7zM10 9h2v2h-2z" fill="currentColor"/></svg>';
    const label = box.labels && box.labels[0] ? box.labels[0].textContent.trim() : "date";
    button.setAttribute("aria-label", `Choose ${label.replace(/\*$/, "").trim()} on a calendar`);
    button.addEventListener("click", () => {
      picker.value = toIso(box.value);
      picker.showPicker();
    });
    picker.addEventListener("change", () => {
      const [y, m, d] = picker.value.split("-");
      if (y) box.value = `${d}/${m}/${y}`;
      box.dispatchEvent(new Event("change", { bubbles: true }));
      box.focus();
    });
    box.after(button, picker);
  }
})();
