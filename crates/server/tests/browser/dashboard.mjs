// Drives the ChipWarden dashboard in a real browser (Debian's chromium through playwright-core,
// no browser download): sign in with a token, screen a listed name, open the hit's case, clear
// it with a reason, find the decision in the audit trail, then visit the chip registry, usage,
// classification (H100: 3A090.a) and stress-test pages on the demo data. Screenshots of every page go to
// the directory given; their paths are printed. Exit code 0 when every step passed.
//
// usage: node dashboard.mjs URL TOKEN SCREENSHOT_DIR
import { chromium } from "playwright-core";
import path from "node:path";

const [url, token, shots] = process.argv.slice(2);
if (!url || !token || !shots) {
  console.error("usage: node dashboard.mjs URL TOKEN SCREENSHOT_DIR");
  process.exit(2);
}
const NAME = "Banco Nacional de Cuba";
const REASON = "a different bank (browser test)";
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const problems = [];
page.on("pageerror", (error) => problems.push("page error: " + error.message));
page.on("console", (message) => {
  // The browser logs the deliberate refused sign-in (401) too; the response check covers the rest.
  if (message.type() === "error" && !message.text().includes("status of 401")) {
    problems.push("console error: " + message.text());
  }
});
page.on("requestfailed", (request) => problems.push("request failed: " + request.url()));
page.on("response", (response) => {
  // 401 is the refused sign-in this script tries on purpose.
  if (response.status() >= 400 && response.status() !== 401) problems.push(response.status() + " from " + response.url());
});
page.on("request", (request) => {
  if (!request.url().startsWith(url)) problems.push("request to another site: " + request.url());
});

async function shot(name) {
  const file = path.join(shots, name + ".png");
  await page.screenshot({ path: file, fullPage: true });
  console.log("screenshot: " + file);
}

let caseId = null;
try {
  page.setDefaultTimeout(15000);
  await page.goto(url);
  await page.getByLabel("API token").fill("cwt_wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Sign-in failed").waitFor();
  await shot("0-signin-refused");

  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await page.locator("#lists-table tbody tr").first().waitFor();
  await shot("1-overview");

  await page.getByRole("button", { name: "Screening" }).click();
  await page.getByLabel("Name", { exact: true }).fill(NAME);
  await page.getByRole("button", { name: "Screen", exact: true }).click();
  const hit = page.locator("#hits-table tbody tr", { hasText: /BANCO NACIONAL DE CUBA/i }).first();
  await hit.waitFor();
  await shot("2-screening");

  const open = hit.getByRole("button", { name: /Open case \d+/ });
  caseId = (await open.textContent()).match(/\d+/)[0];
  await open.click();
  await page.getByRole("heading", { name: new RegExp("Case " + caseId + ":") }).waitFor();
  await page.getByRole("heading", { name: "Alignment" }).waitFor();
  await page.locator("#case-evidence").getByText(/BANCO NACIONAL DE CUBA/i).first().waitFor();
  await shot("3-case");

  await page.getByLabel("Reason (recorded in the audit trail)").fill(REASON);
  await page.getByRole("button", { name: "Clear (false positive)" }).click();
  await page.getByRole("status").getByText("Case " + caseId + " cleared.").waitFor();
  await page.locator("#case-notes").getByText(REASON).waitFor();
  await shot("4-case-cleared");

  await page.getByRole("button", { name: "Audit trail" }).click();
  const entry = page.locator("#audit-table tbody tr", { hasText: "case.cleared" }).filter({ hasText: "case:" + caseId });
  await entry.first().waitFor();
  if (!(await entry.first().textContent()).includes(REASON)) throw new Error("the audit entry does not carry the reason");
  const checkpoint = await page.locator("#audit-checkpoint").textContent();
  if (!/^\S+\n\d+\n\S+=\n/.test(checkpoint)) throw new Error("no checkpoint on the audit page: " + checkpoint);
  await shot("5-audit");

  // The chip registry of the demo ledger: the map, the gap, the counts.
  await page.getByRole("button", { name: "Chip registry" }).click();
  await page.getByRole("heading", { name: "Chip registry" }).waitFor();
  await page.locator('#registry-map svg path[data-country="MY"][data-chips="1"]').waitFor({ state: "attached" });
  await page.locator('#registry-map svg path[data-country="US"][data-chips="2"]').waitFor({ state: "attached" });
  await page.locator("#gaps-table tbody tr", { hasText: "DEMO-H20-0004" }).getByText(/never received/).waitFor();
  await page.locator("#countries-table tbody tr", { hasText: "MY" }).waitFor();
  await page.locator("#chips-table tbody tr", { hasText: "Kestrel Johor JB1" }).waitFor();
  // Location checks: the demo's DEMO-H100-0002 answers from Malaysia while on record in the US.
  await page.locator('#registry-map svg g[data-region-chip="DEMO-H100-0002"][data-agrees="false"]').waitFor({ state: "attached" });
  await page.locator('#registry-map svg g[data-region-chip="DEMO-H100-0001"][data-agrees="true"]').waitFor({ state: "attached" });
  const diverted = page.locator("#locations-table tbody tr", { hasText: "DEMO-H100-0002" });
  await diverted.getByText("NOT where the ledger has it").waitFor();
  await diverted.getByRole("button", { name: "DEMO-H100-0002" }).click();
  await page.locator("#location-map svg").waitFor();
  await page.locator("#location-map figcaption", { hasText: "Region of DEMO-H100-0002" }).waitFor();
  await shot("6-registry");

  // Usage of the demo accounts (the Alibaba trace) with the threshold lines.
  await page.getByRole("button", { name: "Usage" }).click();
  await page.getByRole("heading", { name: "Usage", exact: true }).waitFor();
  await page.locator("#usage-table tbody tr", { hasText: "aurora" }).waitFor();
  await page.locator("#usage-table tbody tr", { hasText: "group: harbor-lane + kestrel" }).waitFor();
  for (const line of ["eo14110-bio 1.00e23 (not in force)", "eu-ai-act-art51 1.00e25 (in force)", "eo14110-general 1.00e26 (not in force)"]) {
    await page.locator("#usage-chart svg text", { hasText: line }).waitFor();
  }
  await page.locator("#split-runs").getByText(/No split-run alert/).waitFor();
  await shot("7-usage");

  // A split run: the linked harbor-lane and kestrel each run 7,000 H100 for 19 days (5.7e24
  // FLOP each at the high band), together over the EU AI Act's 1e25. Ingested through the API,
  // it opens its cases at once; the usage page draws the alert.
  const start = new Date(Date.now() - 20 * 86400e3).toISOString();
  const end = new Date(Date.now() - 86400e3).toISOString();
  const records = ["harbor-lane", "kestrel"].map((account) => JSON.stringify({
    record_id: "browser-split-" + account, account, chip_model: "H100 SXM", chips: 7000, start, end,
  })).join("\n");
  const ingest = await page.evaluate(async ([body, token]) => {
    const response = await fetch("/api/v1/usage", { method: "POST", headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" }, body });
    return { status: response.status, body: await response.json() };
  }, [records, token]);
  if (ingest.status !== 200 || ingest.body.inserted !== 2) {
    throw new Error("split-run usage not ingested: " + JSON.stringify(ingest));
  }
  await page.getByRole("button", { name: "Report" }).click();
  const split = page.locator("#split-runs");
  await split.getByText(/harbor-lane/).first().waitFor();
  await split.getByText(/eu-ai-act-art51/).first().waitFor();
  await page.locator("#usage-table tbody tr", { hasText: "group: harbor-lane + kestrel" }).getByText(/eu-ai-act-art51/).waitFor();
  await shot("7b-split-run");
  // The server's alert task raises the case within its interval (a second in this test).
  let found = false;
  for (let i = 0; i < 30 && !found; i++) {
    await page.getByRole("button", { name: "Cases" }).click();
    await page.locator("#cases-table tbody tr").first().waitFor();
    found = await page.locator("#cases-table tbody tr", { hasText: "split run across harbor-lane+kestrel" }).count() > 0;
    if (!found) await page.waitForTimeout(500);
  }
  if (!found) throw new Error("the split run's case did not appear");

  // Classification of the H100 today.
  await page.getByRole("button", { name: "Classification" }).click();
  await page.getByLabel("Model (from the catalog)").fill("H100");
  await page.getByRole("button", { name: "Classify", exact: true }).click();
  await page.locator("#classify-facts .eccn", { hasText: "3A090.a" }).waitFor();
  await page.locator("#classify-thresholds tbody tr", { hasText: "3A090.a.1" }).first().waitFor();
  await page.locator("#classify-citations li", { hasText: "15 CFR 774" }).first().waitFor();
  await shot("8-classification");

  // Stress test of the first rule set (2022): the H800 and A800 sit just under its I/O line.
  await page.getByRole("button", { name: "Stress test" }).click();
  await page.getByLabel("Rule set").selectOption({ index: 0 });
  await page.getByLabel("Margin (% below a line)").fill("35");
  await page.getByRole("button", { name: "Run stress test" }).click();
  await page.locator("#stress-table tbody tr", { hasText: "A800" }).first().waitFor();
  await shot("9-stress");

  if (problems.length) throw new Error(problems.join("; "));
  console.log("dashboard: signed in, screened, opened case " + caseId + ", cleared it, found it in the audit trail; registry, usage, classification and stress pages shown");
  await browser.close();
  process.exit(0);
} catch (error) {
  console.error("dashboard test failed: " + error.message);
  for (const problem of problems) console.error(problem);
  try {
    await shot("failure");
  } catch (_) {
    // The page may be gone; the error above says why.
  }
  await browser.close();
  process.exit(1);
}
