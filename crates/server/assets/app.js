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

const PAGES = ["signin", "overview", "cases", "case", "screen", "registry", "usage", "classify", "stress", "audit"];

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
    if (page === "registry") await loadRegistry();
    if (page === "usage") await loadUsage();
    if (page === "classify") await loadCatalog();
    if (page === "stress") await loadRuleSets();
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

// --- chip registry ---

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attributes, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A document the API answers as text (the map), fetched with the token like every call.
async function apiText(path) {
  const response = await fetch("/api/v1" + path, { headers: { Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY) } });
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    const error = new Error((data && data.error && data.error.message) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return response.text();
}

// One chip's region map (caps, landmarks, possible countries), shown under the table.
async function showChipRegion(serial) {
  const text = await apiText("/locate/" + encodeURIComponent(serial) + "/map.svg");
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  const figure = $("#location-map");
  figure.replaceChildren(document.importNode(parsed.documentElement, true), el("figcaption", {}, "Region of " + serial));
  figure.hidden = false;
}

async function loadRegistry() {
  const [registry, mapText, locations] =
    await Promise.all([api("GET", "/registry"), apiText("/registry/map.svg"), api("GET", "/locate/chips")]);
  rows("#locations-table", locations, (l) => {
    const verdict = !l.verdict.consistent ? "measurements contradict each other"
      : l.agrees ? "agrees with the ledger" : "NOT where the ledger has it";
    const link = el("button", { type: "button", class: "link" }, l.serial);
    link.addEventListener("click", () => showChipRegion(l.serial).catch(fail));
    return el("tr", { class: l.agrees ? "" : "row-alert" }, el("td", { class: "nowrap" }, link), el("td", {}, l.declared_country || "—"),
      el("td", {}, l.verdict.possible_countries.join(", ") || "no country"), el("td", { class: "num" }, l.measurements),
      el("td", {}, verdict));
  }, "no chip measured in the last 24 hours");
  const located = registry.countries.reduce((sum, c) => sum + c.chips, 0);
  $("#registry-summary").textContent = registry.chips.length + " chip(s) in the custody ledger (" + registry.ledger_size +
    " entries), " + located + " located in " + registry.countries.length + " countr" + (registry.countries.length === 1 ? "y" : "ies") +
    ", " + registry.gaps.length + " custody gap(s).";
  const parsed = new DOMParser().parseFromString(mapText, "image/svg+xml");
  $("#registry-map").replaceChildren(document.importNode(parsed.documentElement, true));
  rows("#gaps-table", registry.gaps, (g) =>
    el("tr", {}, el("td", {}, g.serial), el("td", {}, g.holder), el("td", {}, g.gap.replace("_", " ")), el("td", {}, g.text)),
    "no gap in custody");
  rows("#countries-table", registry.countries, (c) => el("tr", {}, el("td", {}, c.name), el("td", { class: "num" }, c.chips)), "no chip located");
  rows("#holders-table", registry.holders, (h) => el("tr", {}, el("td", {}, h.name), el("td", { class: "num" }, h.chips)), "no chip");
  rows("#chips-table", registry.chips, (c) =>
    el("tr", {}, el("td", { class: "nowrap" }, c.serial), el("td", {}, c.model), el("td", {}, c.holder), el("td", {}, c.country || "—"),
      el("td", {}, c.status_text), el("td", {}, c.device_key ? "yes" : "no"), el("td", { class: "nowrap" }, c.last_event)),
    "no chip in the ledger");
}

// --- usage ---

function flop(value) {
  return Number(value).toExponential(2).replace("e+", "e");
}

function usageRows(report) {
  const out = report.accounts.map((a) => ({ label: a.account, kind: "account", ...a }));
  for (const g of report.groups) out.push({ label: "group: " + g.accounts.join(" + "), kind: "group", ...g });
  return out;
}

// A horizontal bar per account and group on a log scale: the bar reaches the mid estimate, the
// whisker spans low to high; a vertical line per threshold, solid when in force, dashed when not.
function usageChart(items, thresholds) {
  const width = 960, left = 230, right = 20, top = 64, row = 34, axis = 30;
  const height = top + Math.max(items.length, 1) * row + axis;
  const values = items.flatMap((i) => [i.flop_low, i.flop_high]).filter((v) => v > 0);
  const lo = Math.min(17, Math.floor(Math.log10(Math.min(...values, 1e17))));
  const hi = 27;
  const x = (v) => left + ((Math.log10(Math.max(v, Math.pow(10, lo))) - lo) / (hi - lo)) * (width - left - right);
  const chart = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-labelledby": "usage-chart-title usage-chart-desc" },
    svg("title", { id: "usage-chart-title" }, "Training compute per account and linked group, with the thresholds"),
    svg("desc", { id: "usage-chart-desc" }, items.map((i) => i.label + ": " + flop(i.flop_low) + " to " + flop(i.flop_high) + " FLOP").join("; ")));
  for (let e = lo; e <= hi; e++) {
    chart.append(svg("line", { x1: x(Math.pow(10, e)), x2: x(Math.pow(10, e)), y1: top - 6, y2: height - axis, stroke: "#d0d7de" }),
      svg("text", { x: x(Math.pow(10, e)), y: height - 10, "text-anchor": "middle", "font-size": 12, fill: "#57606a" }, "1e" + e));
  }
  items.forEach((item, i) => {
    const y = top + i * row;
    const fill = item.kind === "group" ? "#2f74c0" : "#6fa8dc";
    chart.append(
      svg("text", { x: left - 8, y: y + row / 2 + 4, "text-anchor": "end", "font-size": 13, fill: "#1b1f24" }, item.label),
      svg("rect", { x: left, y: y + 8, width: Math.max(x(item.flop_mid) - left, 1), height: row - 16, fill }),
      svg("line", { x1: x(item.flop_low), x2: x(item.flop_high), y1: y + row / 2, y2: y + row / 2, stroke: "#1b1f24", "stroke-width": 2 }),
      svg("line", { x1: x(item.flop_low), x2: x(item.flop_low), y1: y + 10, y2: y + row - 10, stroke: "#1b1f24", "stroke-width": 2 }),
      svg("line", { x1: x(item.flop_high), x2: x(item.flop_high), y1: y + 10, y2: y + row - 10, stroke: "#1b1f24", "stroke-width": 2 }));
  });
  thresholds.forEach((t, i) => {
    const tx = x(t.flop);
    const color = t.in_force ? "#a40e26" : "#57606a";
    const line = { x1: tx, x2: tx, y1: top - 8, y2: height - axis, stroke: color, "stroke-width": 2 };
    if (!t.in_force) line["stroke-dasharray"] = "6 4";
    chart.append(svg("line", line),
      svg("text", { x: tx - 4, y: 16 + (i % 3) * 18, "text-anchor": "end", "font-size": 12, fill: color },
        t.id + " " + flop(t.flop) + (t.in_force ? " (in force)" : " (not in force)")));
  });
  return chart;
}

function crossingsText(crossings) {
  if (!crossings || crossings.length === 0) return "none";
  return crossings.map((c) => c.threshold + " (" + c.basis + " estimate" + (c.in_force ? ", in force" : ", not in force") + ")").join(", ");
}

async function loadUsage() {
  const windowDays = $("#usage-window").value || "90";
  const day = $("#usage-asof").value;
  let query = "?window=" + encodeURIComponent(windowDays);
  if (day) query += "&as_of=" + encodeURIComponent(day + "T23:59:59Z");
  const [report, thresholds] = await Promise.all([
    api("GET", "/usage/report" + query),
    api("GET", "/usage/thresholds" + (day ? "?at=" + day : "")),
  ]);
  const items = usageRows(report);
  $("#usage-summary").textContent = "Compute over the " + report.window_days + " days to " + report.as_of + ": " +
    report.accounts.length + " account(s), " + report.groups.length + " linked group(s). Bars reach the mid estimate (light: an account, dark: a linked group), whiskers span low to high; " +
    "threshold lines are solid red when in force, dashed grey when not.";
  $("#usage-chart").replaceChildren(usageChart(items, thresholds.thresholds));
  rows("#usage-table", items, (i) =>
    el("tr", {}, el("th", { scope: "row" }, i.label), el("td", { class: "num" }, flop(i.flop_low)), el("td", { class: "num" }, flop(i.flop_mid)),
      el("td", { class: "num" }, flop(i.flop_high)), el("td", {}, crossingsText(i.thresholds_crossed))),
    "no usage in this window");
  $("#usage-thresholds").replaceChildren(...thresholds.thresholds.map((t) =>
    el("li", {}, el("strong", {}, t.id + " " + flop(t.flop) + " FLOP"), " — " + (t.in_force ? "in force" : "not in force") + " on " + thresholds.date +
      " (from " + t.effective + (t.until ? " until " + t.until : "") + "); " + t.scope + ". " + t.citation)));
  const alerts = report.groups.filter((g) => g.split_run);
  const box = $("#split-runs");
  if (alerts.length === 0) {
    box.replaceChildren(el("p", { class: "muted" }, "No split-run alert in this window: no linked group's combined run crosses a threshold that none of its accounts crosses alone."));
    return;
  }
  box.replaceChildren(...alerts.map((g) => {
    const r = g.split_run;
    return el("div", { class: "alert" },
      el("h4", {}, "Split run across " + r.accounts.join(" + ")),
      el("dl", { class: "facts" },
        el("dt", {}, "Overlap"), el("dd", {}, r.overlap_start + " to " + r.overlap_end),
        el("dt", {}, "Combined FLOP"), el("dd", {}, flop(r.flop_low) + " / " + flop(r.flop_mid) + " / " + flop(r.flop_high)),
        el("dt", {}, "Thresholds crossed together"), el("dd", {}, crossingsText(r.thresholds_crossed)),
        el("dt", {}, "Links"), el("dd", {}, r.links.map((l) => l.reason + ": " + l.evidence).join("; ")),
        el("dt", {}, "Synchronized starts"), el("dd", {}, String((r.synchronized_starts || []).length)),
        el("dt", {}, "Matching shapes"), el("dd", {}, String((r.matching_shapes || []).length))),
      el("pre", { class: "note" }, JSON.stringify({ figures: r.figures, synchronized_starts: r.synchronized_starts, matching_shapes: r.matching_shapes }, null, 2)));
  }));
}

// --- classification ---

let catalogLoaded = false;

async function loadCatalog() {
  if (catalogLoaded) return;
  const chips = await api("GET", "/catalog");
  $("#catalog-models").replaceChildren(...chips.map((c) => el("option", { value: c.name })));
  catalogLoaded = true;
}

function percent(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(1) + "%";
}

function number(value, digits) {
  return value === null || value === undefined ? "unknown" : Number(value).toLocaleString("en-US", { maximumFractionDigits: digits });
}

async function classify() {
  const request = { model: $("#classify-model").value.trim() };
  const day = $("#classify-date").value;
  if (day) request.at = day;
  const c = await api("POST", "/classify", request);
  $("#classify-facts").replaceChildren(
    el("dt", {}, "Item"), el("dd", {}, c.item + (c.catalog_id ? " (" + c.catalog_id + ")" : "")),
    el("dt", {}, "ECCN"), el("dd", { class: "eccn" }, c.eccn || "not controlled under 3A090"),
    el("dt", {}, "Status"), el("dd", {}, c.status + (c.assembly_eccn ? "; systems containing it: " + c.assembly_eccn : "")),
    el("dt", {}, "TPP"), el("dd", {}, number(c.tpp, 0) + (c.tpp_precision ? " (" + c.tpp_precision + ")" : "")),
    el("dt", {}, "Performance density"), el("dd", {}, number(c.performance_density, 2)),
    el("dt", {}, "Rule set"), el("dd", {}, c.ruleset + " on " + c.date + ": " + c.ruleset_title),
    el("dt", {}, "Missing figures"), el("dd", {}, (c.missing || []).join(", ") || "none"));
  rows("#classify-thresholds", c.thresholds, (t) =>
    el("tr", {}, el("td", {}, t.eccn), el("td", {}, t.prong), el("td", {}, t.metric.replace(/_/g, " ")),
      el("td", {}, t.op + " " + number(t.threshold, 2)), el("td", { class: "num" }, number(t.value, 2)),
      el("td", { class: t.met ? "met" : "unmet" }, t.met === null ? "undecided" : t.met ? "met" : "not met"),
      el("td", { class: "num" }, percent(t.margin_pct))),
    "no threshold");
  $("#classify-reasons").replaceChildren(...c.reasons.map((r) => el("li", {}, r)));
  $("#classify-citations").replaceChildren(...c.citations.map((r) => el("li", {}, r)));
  $("#classify-result").hidden = false;
  status(c.item + ": " + (c.eccn || "not controlled") + ".");
}

// --- stress test ---

let ruleSetsLoaded = false;

async function loadRuleSets() {
  if (ruleSetsLoaded) return;
  const sets = await api("GET", "/rules");
  $("#stress-ruleset").replaceChildren(...sets.map((r) =>
    el("option", { value: r.effective }, r.effective + " — " + r.id)));
  ruleSetsLoaded = true;
}

async function stress() {
  const request = { at: $("#stress-ruleset").value, margin: Number($("#stress-margin").value) };
  const r = await api("POST", "/rules/stress", request);
  $("#stress-summary").textContent = r.near_misses.length + " chip(s) within " + r.margin_pct + "% below a line of rule set " + r.ruleset +
    "; " + r.undetermined.length + " cannot be placed for want of a figure; " + r.not_yet_released.length + " not yet released on that date are left out.";
  rows("#stress-table", r.near_misses, (n) =>
    el("tr", {}, el("th", { scope: "row" }, n.chip), el("td", {}, n.current_eccn || "not controlled"), el("td", {}, n.would_be_eccn),
      el("td", {}, n.prong), el("td", { class: "num" }, percent(n.shortfall_pct)),
      el("td", {}, n.changes.map((c) => c.lever + ": " + number(c.from, 2) + " → " + number(c.to, 2) + " (" + c.op + " " + number(c.threshold, 2) + ", +" + percent(c.change_pct) + ")").join("; "))),
    "no chip near a line");
  $("#stress-undetermined").replaceChildren(...r.undetermined.map((u) => el("li", {}, u.chip + ": " + u.missing.join(", "))));
  status("");
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
  onSubmit("#usage-form", async () => {
    await loadUsage();
    status("");
  });
  onSubmit("#classify-form", classify);
  onSubmit("#stress-form", stress);
  if (sessionStorage.getItem(TOKEN_KEY)) {
    $("#nav").hidden = false;
    go("overview");
  } else {
    show("signin");
  }
});
