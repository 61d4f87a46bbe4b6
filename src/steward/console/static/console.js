// Steward console: small progressive enhancements (the pages work without this script).
// Loaded as a module from /console/static under a CSP that forbids inline scripts.

/** Light up the findings-table rows of a highlighted span, and the spans of a row, together. */
function linkFindings() {
  const marks = document.querySelectorAll("mark[data-findings]");
  const rows = document.querySelectorAll("tr[data-finding]");
  const toggle = (numbers, on) => {
    for (const row of rows) {
      if (numbers.includes(row.dataset.finding)) row.classList.toggle("active", on);
    }
    for (const mark of marks) {
      if (mark.dataset.findings.split(" ").some((n) => numbers.includes(n))) mark.classList.toggle("active", on);
    }
  };
  for (const mark of marks) {
    const numbers = mark.dataset.findings.split(" ");
    for (const [event, on] of [["mouseenter", true], ["mouseleave", false], ["focus", true], ["blur", false]]) {
      mark.addEventListener(event, () => toggle(numbers, on));
    }
  }
  for (const row of rows) {
    row.addEventListener("mouseenter", () => toggle([row.dataset.finding], true));
    row.addEventListener("mouseleave", () => toggle([row.dataset.finding], false));
  }
}

/** Check the DRAFT's YAML as it is typed (a dry run on the server) and list each problem with its
 * field and line; a problem's line is a button that puts the cursor on that line. */
function liveDraftCheck() {
  const form = document.getElementById("draft-form");
  if (!form) return;
  const text = form.querySelector("textarea[name=policy]");
  const heading = document.getElementById("draft-problems-h");
  const list = document.getElementById("draft-problem-list");
  const goTo = (line) => {
    const lines = text.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    text.focus();
    text.setSelectionRange(start, start + (lines[line - 1] || "").length);
  };
  const show = (problems) => {
    heading.textContent = problems.length
      ? `${problems.length} problem${problems.length === 1 ? "" : "s"}`
      : "No problems found";
    list.replaceChildren();
    for (const p of problems) {
      const item = document.createElement("li");
      item.dataset.field = p.field;
      item.dataset.line = p.line ?? "";
      if (p.line) {
        const jump = document.createElement("button");
        jump.type = "button";
        jump.className = "link";
        jump.textContent = `line ${p.line}`;
        jump.addEventListener("click", () => goTo(p.line));
        item.append(jump, ": ");
      }
      const field = document.createElement("code");
      field.textContent = p.field || "(policy)";
      item.append(field, ` — ${p.message}`);
      list.append(item);
    }
    form.dataset.checked = String(Date.now());
  };
  let timer = 0;
  let sent = 0;
  const check = async () => {
    const mine = ++sent;
    const body = new URLSearchParams({ csrf: form.elements.csrf.value, policy: text.value });
    const answer = await fetch(form.dataset.check, { method: "POST", body, credentials: "same-origin" });
    if (mine !== sent || !answer.ok) return; // a newer check is on its way, or the session ended
    show((await answer.json()).problems);
  };
  text.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  for (const item of list.querySelectorAll("li[data-line]")) {
    const line = Number(item.dataset.line);
    if (line) item.addEventListener("click", () => goTo(line));
  }
}

/** Single-key shortcuts on a review item: a form marked data-shortcut="k" is submitted by k, or,
 * with data-shortcut-focus, its field of that id is focused (where the form needs a choice
 * first). Keys typed into a text field, or with a modifier, are left alone. */
function reviewShortcuts() {
  const forms = document.querySelectorAll("form[data-shortcut]");
  if (!forms.length) return;
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
    const form = [...forms].find((f) => f.dataset.shortcut === event.key.toLowerCase());
    if (!form) return;
    event.preventDefault();
    const focus = form.dataset.shortcutFocus && document.getElementById(form.dataset.shortcutFocus);
    if (focus) focus.focus();
    else form.requestSubmit();
  });
}

linkFindings();
liveDraftCheck();
reviewShortcuts();
document.documentElement.dataset.console = "ready";
