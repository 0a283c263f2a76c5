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
    button.textContent = "📅";
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
