// ChipWarden dashboard: one page, vanilla JavaScript, no external resources. The API token is
// kept in sessionStorage (this tab only) and sent as a bearer token with every call.
"use strict";

const TOKEN_KEY = "chipwarden.token";
const $ = (selector) => document.querySelector(selector);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function status(message, isError) {
  const box = $("#status");
  box.textContent = message || "";
  box.className = isError ? "error" : "";
}

async function api(method, path, body) {
  const headers = { Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch("/api/v1" + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((data && data.error && data.error.message) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

function fail(error) {
  if (error.status === 401) {
    signOut();
    status("Sign-in failed: " + error.message, true);
    return;
  }
  status(error.message, true);
}

// --- pages ---

const PAGES = ["signin", "overview", "cases", "case", "screen", "audit"];

function show(page) {
  for (const name of PAGES) $("#page-" + name).hidden = name !== page;
  for (const button of document.querySelectorAll("nav button[data-page]")) {
    if (button.dataset.page === page || (page === "case" && button.dataset.page === "cases")) {
      button.setAttribute("aria-current", "page");
    } else {
      button.removeAttribute("aria-current");
    }
  }
  const heading = $("#page-" + page + " h2");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

async function go(page, argument) {
  status("");
  try {
    if (page === "overview") await loadOverview();
    if (page === "cases") await loadCases();
    if (page === "case") await loadCase(argument);
    if (page === "audit") await loadAudit();
    show(page);
  } catch (error) {
    fail(error);
  }
}

function stateBadge(state) {
  return el("span", { class: "state state-" + state }, state.replace("_", " "));
}

function rows(table, items, makeRow, empty) {
  const body = $(table + " tbody");
  body.replaceChildren();
  for (const item of items) body.append(makeRow(item));
  if (items.length === 0) {
    const columns = $(table + " thead tr").children.length;
    body.append(el("tr", {}, el("td", { colspan: columns, class: "muted" }, empty)));
  }
}

async function checkpointText() {
  try {
    const checkpoint = await api("GET", "/ledger/checkpoint");
    return checkpoint.note;
  } catch (error) {
    return "no checkpoint: " + error.message;
  }
}

async function loadOverview() {
  const overview = await api("GET", "/overview");
  const open = {};
  for (const count of overview.cases) {
    if (count.state === "open" || count.state === "under_review" || count.state === "escalated") {
      open[count.kind] = (open[count.kind] || 0) + count.count;
    }
  }
  const counts = $("#open-cases");
  counts.replaceChildren();
  for (const kind of ["screening", "meter"]) {
    counts.append(el("dt", {}, kind), el("dd", {}, open[kind] || 0));
  }
  rows("#lists-table", overview.lists, (v) =>
    el("tr", {}, el("td", {}, v.source), el("td", { class: "num" }, v.id), el("td", {}, v.published || "—"),
      el("td", { class: "num" }, v.entry_count), el("td", {}, v.imported_at)), "no list imported");
  $("#ledger-size").textContent = "The log holds " + overview.ledger_size + " entries.";
  $("#overview-checkpoint").textContent = await checkpointText();
}

async function loadCases() {
  const state = $("#case-state").value;
  const cases = await api("GET", "/cases" + (state ? "?state=" + encodeURIComponent(state) : ""));
  rows("#cases-table", cases, (c) =>
    el("tr", {},
      el("td", { class: "num" }, c.id),
      el("td", {}, c.kind),
      el("td", {}, c.title),
      el("td", {}, stateBadge(c.state)),
      el("td", {}, c.assignee || "—"),
      el("td", {}, c.updated_at),
      el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => go("case", c.id) }, "Open case " + c.id))),
    "no case in this state");
}

let currentCase = null;

function evidenceView(c) {
  const e = c.evidence;
  if (c.kind !== "screening") return el("pre", { class: "note" }, JSON.stringify(e, null, 2));
  const facts = el("dl", { class: "facts" },
    el("dt", {}, "Query"), el("dd", {}, e.query),
    el("dt", {}, "Matched name"), el("dd", {}, e.matched_name + " (" + e.name_strength + ")"),
    el("dt", {}, "Primary name"), el("dd", {}, e.primary_name),
    el("dt", {}, "Score"), el("dd", {}, Number(e.score).toFixed(3) + " (name " + Number(e.name_score).toFixed(3) + ")"),
    el("dt", {}, "List and entry"), el("dd", {}, e.list + " " + e.entry_id + " (" + e.source + ", version " + e.list_version + ")"),
    el("dt", {}, "Programs"), el("dd", {}, (e.programs || []).join(", ") || "—"));
  const alignment = el("table", { "aria-label": "Alignment" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Query token"), el("th", { scope: "col" }, "Entry token"),
      el("th", { scope: "col" }, "Similarity"), el("th", { scope: "col" }, "How"))),
    el("tbody", {}, ...(e.alignment || []).map((a) =>
      el("tr", {}, el("td", {}, a.query || "—"), el("td", {}, a.candidate || "—"),
        el("td", { class: "num" }, Number(a.similarity).toFixed(2)), el("td", {}, typeof a.how === "string" ? a.how : JSON.stringify(a.how))))));
  const qualifiers = el("ul", { "aria-label": "Qualifiers" },
    ...((e.qualifiers || []).length ? e.qualifiers.map((q) => el("li", {}, q.kind + " (" + q.effect + "): " + q.detail)) : [el("li", { class: "muted" }, "no qualifier")]));
  return el("div", {}, facts, el("h4", {}, "Alignment"), alignment, el("h4", {}, "Qualifiers"), qualifiers);
}

async function loadCase(id) {
  const c = await api("GET", "/cases/" + id);
  currentCase = c;
  $("#case-title").textContent = "Case " + c.id + ": " + c.title;
  const facts = $("#case-facts");
  facts.replaceChildren(
    el("dt", {}, "State"), el("dd", {}, stateBadge(c.state)),
    el("dt", {}, "Kind"), el("dd", {}, c.kind),
    el("dt", {}, "Subject"), el("dd", {}, c.subject),
    el("dt", {}, "Assignee"), el("dd", {}, c.assignee || "—"),
    el("dt", {}, "Opened"), el("dd", {}, c.created_at),
    el("dt", {}, "Updated"), el("dd", {}, c.updated_at),
    el("dt", {}, "Hit"), el("dd", {}, c.fingerprint));
  $("#case-evidence").replaceChildren(evidenceView(c));
  const notes = $("#case-notes");
  notes.replaceChildren(...c.notes.map((n) => el("li", {}, el("strong", {}, n.author), " (" + n.at + "): " + n.text)));
  notes.hidden = c.notes.length === 0;
  $("#no-notes").hidden = c.notes.length !== 0;
}

async function loadAudit() {
  const audit = await api("GET", "/audit?limit=100");
  $("#audit-size").textContent = "The log holds " + audit.ledger_size + " entries; the latest audit entries, newest first:";
  $("#audit-checkpoint").textContent = await checkpointText();
  rows("#audit-table", audit.entries, (a) =>
    el("tr", {}, el("td", { class: "num" }, a.leaf_index), el("td", {}, a.time), el("td", {}, a.actor),
      el("td", {}, a.action), el("td", {}, a.subject), el("td", {}, a.detail)), "no audit entry yet");
}

// --- forms ---

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  $("#nav").hidden = true;
  show("signin");
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    await api("GET", "/overview");
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    status("Sign-in failed: " + error.message, true);
    return;
  }
  $("#nav").hidden = false;
  $("#token").value = "";
  await go("overview");
  status("Signed in.");
}

function onSubmit(selector, handler) {
  $(selector).addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await handler(event);
    } catch (error) {
      fail(error);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("nav button[data-page]")) {
    button.addEventListener("click", () => go(button.dataset.page));
  }
  $("#sign-out").addEventListener("click", () => {
    signOut();
    status("Signed out.");
  });
  onSubmit("#signin-form", () => signIn($("#token").value.trim()));
  onSubmit("#cases-filter", () => go("cases"));
  onSubmit("#decide-form", async (event) => {
    const state = event.submitter ? event.submitter.value : "cleared";
    const c = await api("POST", "/cases/" + currentCase.id + "/decide", { state, reason: $("#decide-reason").value });
    $("#decide-reason").value = "";
    await loadCase(c.id);
    status("Case " + c.id + " " + c.state + ".");
  });
  onSubmit("#assign-form", async () => {
    const c = await api("POST", "/cases/" + currentCase.id + "/assign", { assignee: $("#assignee").value });
    $("#assignee").value = "";
    await loadCase(c.id);
    status("Case " + c.id + " assigned to " + c.assignee + ".");
  });
  onSubmit("#note-form", async () => {
    const c = await api("POST", "/cases/" + currentCase.id + "/notes", { text: $("#note-text").value });
    $("#note-text").value = "";
    await loadCase(c.id);
    status("Note added to case " + c.id + ".");
  });
  onSubmit("#screen-form", async () => {
    const request = { name: $("#screen-name").value };
    const country = $("#screen-country").value.trim();
    if (country) request.country = country;
    const result = await api("POST", "/screen", request);
    $("#screen-summary").textContent = result.hits.length + " hit(s) for “" + result.query + "”" +
      (result.suppressed ? ", " + result.suppressed + " dismissed by earlier reviews" : "") + ".";
    rows("#hits-table", result.hits.map((hit, i) => [hit, result.case_ids[i]]), ([hit, caseId]) =>
      el("tr", {},
        el("td", { class: "num" }, Number(hit.score).toFixed(3)),
        el("td", {}, hit.matched_name),
        el("td", {}, hit.list),
        el("td", {}, hit.entry_id),
        el("td", {}, (hit.qualifiers || []).map((q) => q.kind).join(", ") || "—"),
        el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => go("case", caseId) }, "Open case " + caseId))),
      "no hit");
    status("");
  });
  if (sessionStorage.getItem(TOKEN_KEY)) {
    $("#nav").hidden = false;
    go("overview");
  } else {
    show("signin");
  }
});
