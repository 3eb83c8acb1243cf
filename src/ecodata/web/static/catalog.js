/* The dataset page: copy buttons of the API examples. */
"use strict";

document.querySelectorAll("button[data-copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy)?.textContent || "";
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = Ecodata.t("js.copied");
    } catch (_ignored) {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById(button.dataset.copy));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      button.textContent = Ecodata.t("js.selected");
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});
