// Browser tests in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core).
// Starts `powermap serve --demo` on a fresh SQLite file, checks the three views against the
// API's own answers, and with --screenshots DIR saves desktop and phone screenshots.
//
//   node web/tests/browser.mjs [--bin target/debug/powermap] [--screenshots docs/screenshots]
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const bin = resolve(root, arg("--bin", "target/debug/powermap"));
const shots = arg("--screenshots", null);
const chromePath = process.env.CHROMIUM || "/usr/bin/chromium";

// --- the demo server -------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), "powermap-browser-"));
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const server = spawn(bin, ["--db", `sqlite://${join(dir, "demo.db")}`, "serve", "--demo", "--addr", `127.0.0.1:${port}`, "--web", join(root, "web")], {
  stdio: ["ignore", "pipe", "pipe"],
});
let serverLog = "";
server.stdout.on("data", (d) => (serverLog += d));
server.stderr.on("data", (d) => (serverLog += d));

async function waitForServer() {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not start:\n${serverLog}`);
}

async function apiJson(path, tokenValue, init = {}) {
  const headers = { "Content-Type": "application/json", ...(tokenValue ? { Authorization: `Bearer ${tokenValue}` } : {}) };
  const res = await fetch(base + path, { ...init, headers });
  assert.ok(res.ok, `${path}: ${res.status}`);
  return res.json();
}

// --- helpers ---------------------------------------------------------------------------
const consoleErrors = [];
let tilesFailed = 0;

async function newPage(browser, { phone = false, token = null, lang = "ja" } = {}) {
  const context = await browser.newContext(
    phone ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "ja-JP" } : { viewport: { width: 1280, height: 800 }, locale: "ja-JP" },
  );
  await context.addInitScript(([tok, lng]) => {
    if (tok) localStorage.setItem("powermap.token", tok);
    else localStorage.removeItem("powermap.token");
    localStorage.setItem("powermap.lang", lng);
  }, [token, lang]);
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    // The base map tiles cannot load without a network; the page says so itself (checked below).
    if (/^Failed to load resource/.test(msg.text()) && !msg.location().url.startsWith(base)) return;
    consoleErrors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  page.on("requestfailed", (r) => {
    if (!r.url().startsWith(base)) tilesFailed += 1;
  });
  return page;
}

async function ready(page, path) {
  await page.goto(base + path);
  await page.waitForFunction(() => window.powermapReady === true, null, { timeout: 15000 });
}

async function shot(page, name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

const results = [];
async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push(`FAIL ${name}: ${e.stack || e}`);
  }
}

// --- the checks ------------------------------------------------------------------------
await waitForServer();
const browser = await chromium.launch({ executablePath: chromePath, args: ["--no-sandbox", "--disable-gpu"] });
const points = await apiJson("/api/v1/power-points");
const shelters = await apiJson("/api/v1/shelters");
const origin = { lat: 35.7925, lon: 140.0541 };

await check("Japanese text renders with a CJK font (not tofu)", async () => {
  const page = await newPage(browser);
  await ready(page, "/");
  assert.equal(await page.getAttribute("html", "lang"), "ja");
  assert.equal((await page.textContent("h1")).trim(), "災害時電源マップ（白井市）");
  // Draw 白 and an unassigned code point (always a missing-glyph box): without a CJK font they look alike.
  const differs = await page.evaluate(() => {
    const draw = (s) => {
      const c = document.createElement("canvas");
      c.width = 64;
      c.height = 64;
      const g = c.getContext("2d");
      g.font = '40px "Noto Sans CJK JP", sans-serif';
      g.fillText(s, 8, 48);
      return Array.from(g.getImageData(0, 0, 64, 64).data).join(",");
    };
    return draw("白") !== draw("\u{10FFFD}");
  });
  assert.ok(differs, "白 renders as the missing-glyph box: install fonts-noto-cjk");
  await page.context().close();
});

await check("family view: the map shows every demo point and shelter", async () => {
  const page = await newPage(browser);
  await ready(page, "/");
  assert.equal(Number(await page.getAttribute("body", "data-markers")), points.features.length + shelters.features.length);
  assert.ok((await page.locator(".leaflet-marker-icon").count()) > 0, "no marker drawn");
  await page.waitForSelector("#offline-notice:not([hidden])", { timeout: 10000 });
  assert.match(await page.textContent("#offline-notice"), /オフライン/);
  await page.context().close();
});

await check("family view: a set location lists the API's nearest points, in order, with lines", async () => {
  const want = await apiJson(`/api/v1/nearest/power?lat=${origin.lat}&lon=${origin.lon}&k=5&outlet=ac100v&min_w=200`);
  for (const phone of [false, true]) {
    const page = await newPage(browser, { phone });
    await ready(page, "/");
    await page.selectOption("#outlet-select", "ac100v");
    await page.fill("#min-w", "200");
    await page.goto(`${base}/?lat=${origin.lat}&lon=${origin.lon}`);
    await page.waitForFunction(() => window.powermapReady === true);
    await page.selectOption("#outlet-select", "ac100v");
    await page.fill("#min-w", "200");
    await page.click("#search-btn");
    await page.waitForFunction((n) => document.querySelector("#results").dataset.count === String(n) && document.querySelector("#results li"), want.features.length);
    const ids = await page.$$eval("#results li", (lis) => lis.map((li) => li.dataset.id));
    assert.deepEqual(ids, want.features.map((f) => f.id));
    const firstName = await page.textContent("#results li .name");
    assert.equal(firstName, want.features[0].properties.name);
    assert.ok((await page.locator("#results a.tel").count()) > 0, "no tel: link");
    assert.ok((await page.locator(".leaflet-overlay-pane path").count()) >= want.features.length, "no lines from the origin");
    await shot(page, phone ? "family-phone" : "family-desktop");
    await page.context().close();
  }
});

await check("family view with the family token: the child's devices and within-battery marks", async () => {
  const want = await apiJson("/api/v1/children/child-001/nearest-power?k=5", "demo-family");
  const page = await newPage(browser, { token: "demo-family" });
  await ready(page, "/");
  await page.waitForSelector("#child-box:not([hidden])");
  assert.ok((await page.locator("#child-devices li").count()) >= 1);
  await page.waitForFunction((n) => document.querySelector("#results").dataset.count === String(n), want.features.length);
  const ok = want.features.filter((f) => f.properties.within_battery).length;
  assert.equal(await page.locator("#results .badge.ok").count(), ok);
  await page.context().close();
});

await check("English toggle switches every string", async () => {
  const page = await newPage(browser);
  await ready(page, "/");
  await page.click("#lang-toggle");
  assert.equal((await page.textContent("h1")).trim(), "Outage power map (Shiroi)");
  assert.equal((await page.textContent("#search-btn")).trim(), "Find nearby power");
  await page.context().close();
});

await check("planner view: a preset scenario shows the API's at-risk children and assignment", async () => {
  const presets = await apiJson("/api/v1/scenarios/presets");
  const north = presets.features.find((f) => f.id === "north-72h");
  const want = await apiJson("/api/v1/scenarios/outage", "demo-planner", { method: "POST", body: JSON.stringify({ area: north.geometry, hours: north.properties.hours }) });
  assert.ok(want.at_risk.length > 0, "the demo preset should put someone at risk");
  const page = await newPage(browser, { token: "demo-planner" });
  await ready(page, "/planner");
  await page.selectOption("#preset-select", "north-72h");
  await page.fill("#name-input", "ブラウザテスト 北部72時間");
  await page.click("#run-btn");
  await page.waitForFunction(() => document.body.dataset.scenario === "done");
  assert.equal(Number(await page.textContent("#t-at-risk")), want.at_risk.length);
  assert.equal(Number(await page.textContent("#t-assigned")), want.assignments.length);
  assert.equal(Number(await page.getAttribute("body", "data-at-risk-markers")), want.at_risk.length);
  assert.equal(await page.locator("#assignment-list li").count(), want.assignments.length + want.unassigned.length);
  await page.waitForFunction(() => document.querySelectorAll("#saved-list li").length >= 1);
  assert.match(await page.textContent("#saved-list"), /ブラウザテスト 北部72時間/);
  await shot(page, "planner-desktop");
  await page.context().close();
});

await check("planner view: an area drawn with the mouse runs too", async () => {
  const page = await newPage(browser, { token: "demo-planner" });
  await ready(page, "/planner");
  await page.click(".leaflet-pm-icon-polygon");
  const box = await page.locator("#map").boundingBox();
  const at = (fx, fy) => [box.x + box.width * fx, box.y + box.height * fy];
  for (const [fx, fy] of [[0.3, 0.3], [0.7, 0.3], [0.7, 0.7], [0.3, 0.7], [0.3, 0.3]]) {
    await page.mouse.click(...at(fx, fy));
    await page.waitForTimeout(150);
  }
  await page.fill("#hours-input", "24");
  await page.click("#run-btn");
  await page.waitForFunction(() => document.body.dataset.scenario === "done");
  const drawn = JSON.parse(await page.getAttribute("body", "data-area"));
  assert.equal(drawn.type, "Polygon");
  const want = await apiJson("/api/v1/scenarios/outage", "demo-planner", { method: "POST", body: JSON.stringify({ area: drawn, hours: 24 }) });
  assert.equal(Number(await page.textContent("#t-affected")), want.affected.length);
  assert.equal(Number(await page.textContent("#t-at-risk")), want.at_risk.length);
  assert.equal(await page.textContent("#message"), "");
  await page.context().close();
});

await check("planner view on a phone", async () => {
  const page = await newPage(browser, { token: "demo-planner", phone: true });
  await ready(page, "/planner");
  await page.selectOption("#preset-select", "city-7d");
  await page.click("#run-btn");
  await page.waitForFunction(() => document.body.dataset.scenario === "done");
  await shot(page, "planner-phone");
  await page.context().close();
});

await check("coordinator view: the audit table lists the API's findings, filters and opens plans", async () => {
  const want = await apiJson("/api/v1/plans/audit", "demo-coordinator");
  const page = await newPage(browser, { token: "demo-coordinator" });
  await ready(page, "/coordinator");
  await page.waitForFunction((n) => document.body.dataset.findings === String(n), want.findings.length);
  assert.equal(await page.locator("#audit-table tbody tr").count(), want.findings.length);
  const rules = new Set(await page.$$eval("#audit-table tbody code", (cs) => cs.map((c) => c.textContent)));
  assert.deepEqual([...rules].sort(), [...new Set(want.findings.map((f) => f.rule))].sort());
  await page.selectOption("#severity-select", "error");
  const errors = want.findings.filter((f) => f.severity === "error").length;
  assert.equal(await page.locator("#audit-table tbody tr").count(), errors);
  assert.equal(await page.locator("#audit-table tbody tr.sev-error").count(), errors);
  await page.selectOption("#severity-select", "");
  await page.click("#audit-table tbody tr:first-child");
  await page.waitForSelector("#plan-box:not([hidden])");
  await page.waitForFunction(() => document.querySelector("#plan-body").textContent.length > 0);
  await shot(page, "coordinator-desktop");
  await page.context().close();
  const phone = await newPage(browser, { token: "demo-coordinator", phone: true });
  await ready(phone, "/coordinator");
  await phone.waitForFunction((n) => document.body.dataset.findings === String(n), want.findings.length);
  await shot(phone, "coordinator-phone");
  await phone.context().close();
});

await check("plan sheet prints to one A4 page for a typical child", async () => {
  const context = await browser.newContext({ extraHTTPHeaders: { Authorization: "Bearer demo-coordinator" } });
  const page = await context.newPage();
  const res = await page.goto(`${base}/api/v1/children/child-001/plan/sheet`);
  assert.equal(res.status(), 200);
  assert.match(await page.textContent("body"), /個別避難計画/);
  const pdf = await page.pdf({ format: "A4", preferCSSPageSize: true, printBackground: true });
  const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page(?!s)/g) || []).length;
  assert.equal(pages, 1, `the sheet printed to ${pages} pages`);
  if (shots) {
    writeFileSync(join(shots, "plan-sheet-child-001.pdf"), pdf);
    await page.setViewportSize({ width: 794, height: 1123 });
    await page.screenshot({ path: join(shots, "plan-sheet.png"), fullPage: true });
  }
  await context.close();
});

await check("only the browser builds under node_modules are served", async () => {
  assert.equal((await fetch(`${base}/node_modules/leaflet/dist/leaflet.js`)).status, 200);
  assert.equal((await fetch(`${base}/node_modules/playwright-core/package.json`)).status, 404);
  assert.equal((await fetch(`${base}/node_modules/leaflet/package.json`)).status, 404);
});

await check("no console errors on any page", async () => {
  assert.deepEqual(consoleErrors, []);
});

await browser.close();
server.kill("SIGTERM");
rmSync(dir, { recursive: true, force: true });
console.log(results.join("\n"));
const failed = results.filter((r) => r.startsWith("FAIL")).length;
console.log(`browser tests: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
