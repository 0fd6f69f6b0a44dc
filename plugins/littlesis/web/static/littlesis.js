// Little SIS Sync review pages: row selection (shift-click ranges, the whole page, everything matching the
// filter), decisions over everything matching in short requests with a progress bar, and dialogs.
// Plain JS served from the plugin: no build step, no internet. Every form also works as a plain post.
"use strict";

(function () {
  const VERB_NOTICES = { stage: "staged", exclude: "excluded", unstage: "unstaged" };

  function setUpDialogs() {
    document.querySelectorAll("[data-open-dialog]").forEach((button) => {
      button.addEventListener("click", () => document.getElementById(button.dataset.openDialog).showModal());
    });
    document.querySelectorAll("[data-close-dialog]").forEach((button) => {
      button.addEventListener("click", () => button.closest("dialog").close());
    });
  }

  function setUpSelection(form) {
    const boxes = Array.from(form.querySelectorAll("input[data-row-check]"));
    const pageBox = form.querySelector("input[data-select-page]");
    const scope = form.querySelector("input[data-scope]");
    const count = form.querySelector("[data-selection-count]");
    const banner = form.querySelector("[data-matching-banner]");
    const total = Number(form.dataset.total);
    let last = null;

    function refresh() {
      const checked = boxes.filter((b) => b.checked).length;
      const matching = scope.value === "matching";
      if (count) count.textContent = (matching ? total : checked).toLocaleString() + " selected";
      if (banner) banner.hidden = !matching;
      if (pageBox) pageBox.checked = boxes.length > 0 && checked === boxes.length;
      form.querySelectorAll("[data-needs-selection]").forEach((b) => { b.disabled = !matching && checked === 0; });
    }

    boxes.forEach((box, index) => {
      box.addEventListener("click", (event) => {
        if (event.shiftKey && last !== null) {
          const [from, to] = last < index ? [last, index] : [index, last];
          for (let i = from; i <= to; i++) boxes[i].checked = box.checked;
        }
        last = index;
        if (!box.checked) scope.value = "";
        refresh();
      });
    });
    if (pageBox) {
      pageBox.addEventListener("change", () => {
        boxes.forEach((b) => { b.checked = pageBox.checked; });
        if (!pageBox.checked) scope.value = "";
        refresh();
      });
    }
    form.querySelectorAll("[data-select-matching]").forEach((button) => {
      button.addEventListener("click", () => {
        scope.value = "matching";
        boxes.forEach((b) => { b.checked = true; });
        refresh();
      });
    });
    form.querySelectorAll("[data-clear-selection]").forEach((button) => {
      button.addEventListener("click", () => {
        scope.value = "";
        boxes.forEach((b) => { b.checked = false; });
        refresh();
      });
    });
    form.addEventListener("submit", (event) => {
      if (scope.value === "matching") {
        event.preventDefault();
        decideMatching(form, event.submitter ? event.submitter.value : "stage");
      }
    });
    refresh();
  }

  // Everything matching the filter, a time-boxed chunk per request until the server says it is done.
  async function decideMatching(form, verb) {
    const progress = form.querySelector("[data-progress]");
    const bar = progress.querySelector("progress");
    const text = progress.querySelector("[data-progress-text]");
    form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    progress.hidden = false;
    let after = null;
    let changed = 0;
    for (;;) {
      const body = new FormData(form);
      body.delete("action_id");
      body.set("decision", verb);
      body.set("progressive", "1");
      if (after !== null) body.set("after", String(after));
      const answer = await fetch(form.action, { method: "POST", body, credentials: "same-origin",
                                                headers: { Accept: "application/json" } });
      const result = await answer.json().catch(() => ({ detail: answer.statusText }));
      if (!answer.ok) {
        text.textContent = "Stopped: " + (typeof result.detail === "string" ? result.detail : answer.status);
        form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
        return;
      }
      changed += result.changed;
      bar.value = changed;
      text.textContent = changed.toLocaleString() + " of " + Number(form.dataset.total).toLocaleString();
      if (result.done) break;
      after = result.after;
    }
    const next = new URL(window.location.href);
    next.searchParams.set("notice", VERB_NOTICES[verb] || "staged");
    next.searchParams.set("n", String(changed));
    window.location.assign(next.toString());
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpDialogs();
    const form = document.getElementById("decisions-form");
    if (form) setUpSelection(form);
  });
})();
