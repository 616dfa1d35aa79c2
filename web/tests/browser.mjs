// Browser tests in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core).
// Starts `powermap serve --demo` on a fresh SQLite file, checks the three views against the
// API's own answers, and with --screenshots DIR saves desktop and phone screenshots.
// The server runs in --cwd DIR (default: a fresh empty directory) and serves the pages built
// into the binary, unless --web DIR says to read them from disk.
//
//   node web/tests/browser.mjs [--bin target/debug/powermap] [--cwd DIR] [--web web] [--screenshots DIR]
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from "node:fs";
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
const web = arg("--web", null);
const chromePath = process.env.CHROMIUM || "/usr/bin/chromium";

// --- the demo server -------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), "powermap-browser-"));
const cwd = resolve(arg("--cwd", mkdtempSync(join(tmpdir(), "powermap-cwd-"))));
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const serveArgs = ["--db", `sqlite://${join(dir, "demo.db")}`, "serve", "--demo", "--addr", `127.0.0.1:${port}`, ...(web ? ["--web", resolve(web)] : [])];
const server = spawn(bin, serveArgs, { cwd, stdio: ["ignore", "pipe", "pipe"] });
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

/**
 * A fresh browser context. `family` and `staff` are the tokens saved for the family page and
 * the staff pages; `allow` lists console errors a check provokes on purpose (a 403 it tests).
 */
async function newPage(browser, { phone = false, family = null, staff = null, lang = "ja", geolocation = null, allow = [] } = {}) {
  const context = await browser.newContext({
    ...(phone ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } }),
    locale: "ja-JP",
    ...(geolocation ? { geolocation, permissions: ["geolocation"] } : {}),
  });
  await context.addInitScript(([fam, stf, lng]) => {
    if (sessionStorage.getItem("powermap.test.init")) return; // once per tab, so reloads keep what the page saved
    sessionStorage.setItem("powermap.test.init", "1");
    localStorage.clear();
    if (fam) localStorage.setItem("powermap.token.family", fam);
    if (stf) localStorage.setItem("powermap.token.staff", stf);
    localStorage.setItem("powermap.lang", lng);
  }, [family, staff, lang]);
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    // The base map tiles cannot load without a network; the page says so itself (checked below).
    if (/^Failed to load resource/.test(msg.text()) && !msg.location().url.startsWith(base)) return;
    if (allow.some((re) => re.test(msg.text()))) return;
    consoleErrors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  page.on("requestfailed", (r) => {
    if (!r.url().startsWith(base)) tilesFailed += 1;
  });
  return page;
}

/**
 * The family page's clock in the checks: a Wednesday morning, so its night default (only open
 * places) never depends on when the checks run. A check of the night passes its own `at`.
 */
const DAY = "2026-12-02T11:00:00+09:00";

/** `path` with the fixed clock when it is the family page and names no time itself. */
function withClock(path) {
  const family = path === "/" || path.startsWith("/?");
  if (!family || /[?&]at=/.test(path)) return path;
  return `${path}${path.includes("?") ? "&" : "?"}at=${encodeURIComponent(DAY)}`;
}

async function ready(page, path) {
  await page.goto(base + withClock(path));
  await page.waitForFunction(() => window.powermapReady === true, null, { timeout: 15000 });
}

async function shot(page, name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

/** The ids the family list shows, once it shows `n` of them. */
async function listedIds(page, n) {
  await page.waitForFunction((k) => document.querySelector("#results").dataset.count === String(k) && document.querySelectorAll("#results li").length === k, n);
  return page.$$eval("#results li", (lis) => lis.map((li) => li.dataset.id));
}

/** Asserts the family list comes to show `want` (an earlier list of the same length may still be up). */
async function expectListed(page, want) {
  await page
    .waitForFunction((w) => JSON.stringify([...document.querySelectorAll("#results li")].map((li) => li.dataset.id)) === JSON.stringify(w), want, { timeout: 10000 })
    .catch(() => {});
  assert.deepEqual(await listedIds(page, want.length), want);
}

/** Runs `action` and returns the query of the nearest-power request it makes. */
async function nearestQuery(page, action) {
  const [req] = await Promise.all([page.waitForRequest((r) => /\/nearest-power|\/nearest\/power/.test(r.url())), action()]);
  return new URL(req.url()).searchParams;
}

/** Sets the map's zoom (after any animation under way) and waits until the clusters are redrawn. */
async function zoomTo(page, zoom) {
  await page.waitForFunction(() => !window.powermap.map._animatingZoom);
  await page.evaluate((z) => window.powermap.map.setZoom(z, { animate: false }), zoom);
  await page.waitForFunction((z) => window.powermap.map.getZoom() === z, zoom);
  await page.waitForTimeout(800); // markercluster fades markers in and out
}

const ids = (fc) => fc.features.map((f) => f.id);

/** A point on the map, in page pixels, at least 40 px from every marker and control: a tap there reaches the map. */
async function emptySpot(page) {
  return page.evaluate(() => {
    const map = document.querySelector("#map").getBoundingClientRect();
    const busy = [...document.querySelectorAll("#map .leaflet-marker-icon, #map .leaflet-control, #offline-notice, #here-btn")].map((el) => el.getBoundingClientRect());
    for (let fy = 0.2; fy < 0.85; fy += 0.05) {
      for (let fx = 0.3; fx < 0.95; fx += 0.05) {
        const [x, y] = [map.left + map.width * fx, map.top + map.height * fy];
        if (busy.every((r) => x < r.left - 40 || x > r.right + 40 || y < r.top - 40 || y > r.bottom + 40)) return [x, y];
      }
    }
    throw new Error("no empty spot on the map");
  });
}

const results = [];
// `--only REGEX` runs the checks whose names match (while working on one page).
const only = arg("--only", null);

async function check(name, fn) {
  if (only && !new RegExp(only).test(name)) return;
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
    await page.goto(base + withClock(`/?lat=${origin.lat}&lon=${origin.lon}`));
    await page.waitForFunction(() => window.powermapReady === true);
    await page.selectOption("#outlet-select", "ac100v");
    await page.fill("#min-w", "200");
    await page.click("#search-btn");
    await expectListed(page, ids(want));
    const firstName = await page.textContent("#results li .name");
    assert.equal(firstName, want.features[0].properties.name);
    assert.ok((await page.locator("#results a.tel").count()) > 0, "no tel: link");
    assert.ok((await page.locator(".leaflet-overlay-pane path").count()) >= want.features.length, "no lines from the origin");
    if (phone) {
      // The search scrolled (smoothly) to the list; the README shows the map and the top of the list.
      await page.waitForTimeout(800);
      await page.evaluate(() => window.scrollTo({ top: 0, behavior: "instant" }));
    }
    await shot(page, phone ? "family-phone" : "family-desktop");
    await page.context().close();
  }
});

await check("family view with the family token: the child's devices and within-battery marks", async () => {
  const want = await apiJson("/api/v1/children/child-001/nearest-power?k=5", "demo-family");
  const page = await newPage(browser, { family: "demo-family" });
  await ready(page, "/");
  await page.waitForSelector("#child-box:not([hidden])");
  assert.ok((await page.locator("#child-devices li").count()) >= 1);
  await expectListed(page, ids(want));
  const ok = want.features.filter((f) => f.properties.within_battery).length;
  assert.equal(await page.locator("#results .badge.ok.battery").count(), ok);
  assert.equal(await page.getAttribute("#origin-label", "data-kind"), "home");
  assert.match(await page.textContent("#origin-label"), /自宅/);
  // The device need comes from the child: the free-form need box is really gone (`hidden` wins over `display: grid`).
  assert.equal(await page.$eval("#need-box", (el) => getComputedStyle(el).display), "none");
  // The list names the outlet that fits and its watts, and whole minutes.
  const first = want.features[0].properties;
  const meta = await page.textContent("#results li:first-child");
  assert.ok(meta.includes(`最大 ${first.outlets.find((o) => o.type === "ac100v").max_w} W`), meta);
  assert.ok(meta.includes(`徒歩 ${Math.ceil(first.walk_min)} 分`), meta);
  await page.context().close();
});

await check("family view at night: only places open now by default, and it says so; cards show hours and runtime", async () => {
  const night = "2026-12-02T21:30:00+09:00";
  const at = (when) => `lat=${origin.lat}&lon=${origin.lon}&k=5&at=${encodeURIComponent(when)}`;
  const openOnly = await apiJson(`/api/v1/nearest/power?${at(night)}&open=now`);
  const all = await apiJson(`/api/v1/nearest/power?${at(night)}`);
  assert.notDeepEqual(ids(openOnly), ids(all), "the demo has no point closed at 21:30 near the origin: the check would prove nothing");
  const page = await newPage(browser);
  await ready(page, `/?lat=${origin.lat}&lon=${origin.lon}&at=${encodeURIComponent(night)}`);
  await expectListed(page, ids(openOnly));
  assert.equal(await page.isChecked("#open-now"), true);
  assert.match(await page.textContent("#open-note:not([hidden])"), /夜間/);
  assert.equal(await page.locator("#results .badge.bad.open").count(), 0, "a closed place was listed at night");
  await shot(page, "family-night");
  // The family may want every place: unticked, the closed ones come back, saying when they open.
  await page.uncheck("#open-now");
  await expectListed(page, ids(all));
  assert.equal(await page.isHidden("#open-note"), true);
  const closed = all.features.filter((f) => f.properties.open_now === false);
  assert.equal(await page.locator("#results .badge.bad.open").count(), closed.length);
  const firstClosed = all.features.findIndex((f) => f.properties.open_now === false);
  const opens = new Date(all.features[firstClosed].properties.opens_at);
  const clock = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(opens);
  assert.equal(await page.textContent(`#results li:nth-child(${firstClosed + 1}) .badge.bad.open`), `営業時間外（${clock}から）`);
  await page.context().close();
  // By day the box is off, and an open place says until when; a battery says how long it runs.
  const day = await apiJson(`/api/v1/nearest/power?${at(DAY)}`);
  const byDay = await newPage(browser);
  await ready(byDay, `/?lat=${origin.lat}&lon=${origin.lon}`);
  await expectListed(byDay, ids(day));
  assert.equal(await byDay.isChecked("#open-now"), false);
  assert.equal(await byDay.isHidden("#open-note"), true);
  const i = day.features.findIndex((f) => f.properties.open_now === true && f.properties.open_until);
  assert.ok(i >= 0, "no place open at 11:00 with a closing time near the origin");
  const until = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" }).format(new Date(day.features[i].properties.open_until));
  assert.equal(await byDay.textContent(`#results li:nth-child(${i + 1}) .badge.ok.open`), `${until}まで`);
  const withFuel = day.features.findIndex((f) => f.properties.fuel_h != null);
  assert.ok(withFuel >= 0, "no place with a stored runtime near the origin");
  const text = await byDay.textContent(`#results li:nth-child(${withFuel + 1}) .times`);
  assert.ok(text.includes(`停電時 約${day.features[withFuel].properties.fuel_h}時間`), text);
  await byDay.context().close();
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
  const page = await newPage(browser, { staff: "demo-planner" });
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
  // The demo's typhoon is in progress: the planner is told, with the way to its call list.
  assert.match(await page.locator("#incident-banner").innerText(), /発災中：.+電話リストを開く/s);
  await shot(page, "planner-desktop");
  await page.context().close();
});

await check("planner view: a week-long outage says which placements stop early and how far from proven the answer is", async () => {
  const presets = await apiJson("/api/v1/scenarios/presets");
  const week = presets.features.find((f) => f.id === "city-7d");
  const want = await apiJson("/api/v1/scenarios/outage", "demo-planner", { method: "POST", body: JSON.stringify({ area: week.geometry, hours: week.properties.hours }) });
  const early = want.assignments.filter((a) => a.holds_h != null);
  assert.ok(early.length > 0, "the demo's week-long outage outlasts some points");
  const page = await newPage(browser, { staff: "demo-planner" });
  await ready(page, "/planner");
  await page.selectOption("#preset-select", "city-7d");
  await page.click("#run-btn");
  await page.waitForFunction(() => document.body.dataset.scenario === "done");
  assert.equal(Number(await page.textContent("#t-second-move")), want.needs_second_move.length);
  const shown = await page.$$eval("#assignment-list li:has(.holds)", (lis) => lis.map((li) => [li.dataset.child, li.querySelector(".holds").textContent]));
  assert.deepEqual(shown.map(([id]) => id).sort(), early.map((a) => a.child_id).sort());
  for (const [id, text] of shown) assert.ok(text.includes(`${early.find((a) => a.child_id === id).holds_h}時間で停止`), text);
  // Each placement says how long its point runs on its own power.
  const fuel = new Map((await apiJson("/api/v1/power-points")).features.map((f) => [f.id, f.properties.fuel_h]));
  const lines = await page.$$eval("#assignment-list li[data-child]:not(.bad)", (lis) => lis.map((li) => [li.dataset.child, li.textContent]));
  assert.equal(lines.length, want.assignments.length);
  for (const [id, text] of lines) {
    const h = fuel.get(want.assignments.find((a) => a.child_id === id).power_point_id);
    assert.equal(text.includes("停電時 約"), h != null, text);
    if (h != null) assert.ok(text.includes(`停電時 約${h}時間`), text);
  }
  const optimal = await page.textContent("#t-optimal");
  assert.match(optimal, want.optimal ? /^最適/ : /最適とは限りません/);
  await page.locator("#t-second-move").scrollIntoViewIfNeeded();
  await shot(page, "planner-week");
  await page.context().close();
});

await check("planner view: an area drawn with the mouse runs too", async () => {
  const page = await newPage(browser, { staff: "demo-planner" });
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
  const page = await newPage(browser, { staff: "demo-planner", phone: true });
  await ready(page, "/planner");
  await page.selectOption("#preset-select", "city-7d");
  await page.click("#run-btn");
  await page.waitForFunction(() => document.body.dataset.scenario === "done");
  await page.evaluate(() => window.scrollTo({ top: 0, behavior: "instant" })); // clicking "run" scrolled the page; show the map
  await shot(page, "planner-phone");
  await page.context().close();
});

await check("coordinator view: the audit table lists the API's findings, filters and opens plans", async () => {
  const want = await apiJson("/api/v1/plans/audit", "demo-coordinator");
  const page = await newPage(browser, { staff: "demo-coordinator" });
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
  await page.context().close();
  const phone = await newPage(browser, { staff: "demo-coordinator", phone: true });
  await ready(phone, "/coordinator");
  await phone.waitForFunction((n) => document.body.dataset.findings === String(n), want.findings.length);
  await shot(phone, "coordinator-phone");
  await phone.context().close();
});

await check("coordinator view: 作成優先度 lists the API's order with reasons, a row opens the plan; hazard zones on the map", async () => {
  const want = await apiJson("/api/v1/plans/priority", "demo-coordinator");
  const zones = await apiJson("/api/v1/hazard-zones");
  assert.ok(want.some((r) => r.tier === 1) && want.some((r) => r.tier !== 1), "the demo has more than one tier");
  const page = await newPage(browser, { staff: "demo-coordinator" });
  await ready(page, "/coordinator");
  await page.waitForFunction((n) => document.querySelectorAll("#priority-table tbody tr").length === n, want.length);
  const shown = await page.$$eval("#priority-table tbody tr", (trs) => trs.map((tr) => [tr.dataset.child, tr.querySelector(".tier").textContent]));
  assert.deepEqual(shown, want.map((r) => [r.child_id, String(r.tier)]));
  const grave = want.findIndex((r) => r.reasons.includes("deep_water") || r.reasons.includes("landslide_special"));
  assert.ok(grave >= 0, "a demo child lives in a grave zone");
  const reasonText = await page.textContent(`#priority-table tbody tr:nth-child(${grave + 1}) td:nth-child(4)`);
  assert.match(reasonText, /浸水3m以上|土砂災害特別警戒区域/);
  assert.equal(await page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() >= zones.features.length, true, "every zone is drawn");
  await page.locator(`#priority-table tbody tr:nth-child(${grave + 1})`).press("Enter");
  await page.waitForSelector("#plan-box:not([hidden])");
  const children = await apiJson("/api/v1/children", "demo-coordinator");
  const name = children.features.find((f) => f.id === want[grave].child_id).properties.name;
  assert.equal(await page.textContent("#plan-child"), name);
  await page.locator("#priority-box").scrollIntoViewIfNeeded();
  await shot(page, "coordinator-priority");
  await page.context().close();
});

await check("hazard overlays: a layer switch on every map; the family's starts off and draws the zones when chosen", async () => {
  const zones = await apiJson("/api/v1/hazard-zones");
  const config = await apiJson("/api/v1/config");
  const family = await newPage(browser);
  await ready(family, "/");
  const paths = () => family.locator(".leaflet-overlay-pane path").count();
  const before = await paths();
  await family.hover(".leaflet-control-layers");
  const names = await family.$$eval(".leaflet-control-layers-overlays label", (ls) => ls.map((l) => l.textContent.trim()));
  assert.deepEqual(names, ["ハザード区域（取り込み済み）", ...config.hazard_tiles.map((t) => t.name)]);
  await family.locator(".leaflet-control-layers-overlays input").first().check();
  await family.waitForFunction((n) => document.querySelectorAll(".leaflet-overlay-pane path").length >= n, before + zones.features.length);
  await shot(family, "family-zones");
  await family.context().close();
  for (const path of ["/planner", "/desk"]) {
    const page = await newPage(browser, { staff: "demo-planner" });
    await ready(page, path);
    assert.equal(await page.locator(".leaflet-control-layers").count(), 1, path);
    assert.ok((await page.locator(".leaflet-overlay-pane path").count()) >= zones.features.length, `${path}: staff maps show the zones`);
    await page.context().close();
  }
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

// --- the reviewer's findings, one check each -------------------------------------------
const home001 = await apiJson("/api/v1/children/child-001/nearest-power?k=5", "demo-family");
const away = { latitude: 35.7965, longitude: 140.1185 }; // 神々廻, 5 km east of child-001's home

await check("family token: 現在地 and a tapped spot are searched from, not the child's home, and the page says so", async () => {
  const here = await apiJson(`/api/v1/children/child-001/nearest-power?k=5&lat=${away.latitude}&lon=${away.longitude}`, "demo-family");
  assert.notDeepEqual(ids(here), ids(home001), "the test needs a place whose answer differs from home");
  const page = await newPage(browser, { family: "demo-family", geolocation: away });
  await ready(page, "/");
  await expectListed(page, ids(home001));

  const q = await nearestQuery(page, () => page.click("#locate-btn"));
  assert.equal(Number(q.get("lat")), away.latitude);
  assert.equal(Number(q.get("lon")), away.longitude);
  await page.waitForFunction(() => document.querySelector("#origin-label").dataset.kind === "here");
  await expectListed(page, ids(here));
  assert.match(await page.textContent("#origin-label"), /現在地/);
  const within = here.features.filter((f) => f.properties.within_battery).length;
  assert.equal(await page.locator("#results .badge.ok.battery").count(), within, "within_battery measured from here");

  // A tap on the map: the request carries the tapped point and the list is the API's answer for it.
  const [x, y] = await emptySpot(page);
  const tapped = await nearestQuery(page, () => page.mouse.click(x, y));
  const want = await apiJson(`/api/v1/children/child-001/nearest-power?k=5&lat=${tapped.get("lat")}&lon=${tapped.get("lon")}`, "demo-family");
  await page.waitForFunction(() => document.querySelector("#origin-label").dataset.kind === "picked");
  await expectListed(page, ids(want));
  assert.match(await page.textContent("#origin-label"), /選んだ地点/);

  await page.click("#home-btn");
  await page.waitForFunction(() => document.querySelector("#origin-label").dataset.kind === "home");
  await expectListed(page, ids(home001));
  await page.context().close();
});

await check("family view: boxes marked hidden are not shown", async () => {
  const page = await newPage(browser);
  await ready(page, "/");
  for (const sel of ["#child-box", "#child-pick", "#origin-label", "#token-note"]) {
    assert.equal(await page.$eval(sel, (el) => el.hidden && getComputedStyle(el).display), "none", sel);
  }
  await page.context().close();
});

await check("family view: a token for two children offers a picker; staff tokens are never used as a family's", async () => {
  const two = execFileSync(bin, ["--db", `sqlite://${join(dir, "demo.db")}`, "token", "create", "--role", "family", "--child", "child-001", "--child", "child-002", "--name", "browser-two"], { encoding: "utf8" }).trim();
  const child002 = await apiJson("/api/v1/children/child-002", "demo-coordinator");
  const want002 = await apiJson("/api/v1/children/child-002/nearest-power?k=5", "demo-coordinator");
  const page = await newPage(browser, { family: two });
  await ready(page, "/");
  await page.waitForSelector("#child-pick:not([hidden])");
  assert.deepEqual(await page.$$eval("#child-select option", (os) => os.map((o) => o.value)), ["child-001", "child-002"]);
  await expectListed(page, ids(home001));
  await page.selectOption("#child-select", "child-002");
  await page.waitForFunction((id) => document.querySelector("#results li")?.dataset.id === id, want002.features[0].id);
  await expectListed(page, ids(want002));
  assert.equal(await page.locator("#child-devices li").count(), child002.properties.devices.length);
  await page.reload();
  await page.waitForFunction(() => window.powermapReady === true);
  assert.equal(await page.inputValue("#child-select"), "child-002", "the choice is remembered");
  await page.context().close();

  // A coordinator's token typed into the family page: said so, and no child is loaded.
  const staffHere = await newPage(browser, { family: "demo-coordinator" });
  await ready(staffHere, "/");
  await staffHere.waitForSelector("#token-note:not([hidden])");
  assert.match(await staffHere.textContent("#token-note"), /職員用/);
  assert.ok(await staffHere.$eval("#child-box", (el) => el.hidden));
  assert.equal(await staffHere.getAttribute("#results", "data-count"), "0");
  await staffHere.context().close();

  // The staff pages keep their own token: it does not reach the family page.
  const separate = await newPage(browser, { staff: "demo-coordinator" });
  await ready(separate, "/");
  assert.ok(await separate.$eval("#child-box", (el) => el.hidden));
  assert.equal(await separate.inputValue("#token-input"), "");
  await separate.context().close();
});

await check("planner view: zoomed out, clusters holding at-risk children are red and count them", async () => {
  const presets = await apiJson("/api/v1/scenarios/presets");
  const north = presets.features.find((f) => f.id === "north-72h");
  const want = await apiJson("/api/v1/scenarios/outage", "demo-planner", { method: "POST", body: JSON.stringify({ area: north.geometry, hours: north.properties.hours }) });
  const page = await newPage(browser, { staff: "demo-planner" });
  await ready(page, "/planner");
  await page.selectOption("#preset-select", "north-72h");
  await page.click("#run-btn");
  await page.waitForFunction(() => document.body.dataset.scenario === "done");
  await zoomTo(page, 11);
  const seen = await page.evaluate(() => {
    const pane = document.querySelector(".leaflet-marker-pane");
    const inClusters = [...pane.querySelectorAll(".pm-cluster.at-risk [data-at-risk]")].map((d) => Number(d.dataset.atRisk));
    const single = [...pane.querySelectorAll(".pm-child.at-risk")].filter((m) => m.style.opacity !== "0").length;
    return { clusters: inClusters.length, inClusters: inClusters.reduce((a, b) => a + b, 0), single };
  });
  assert.ok(seen.clusters >= 1, "at zoom 11 some at-risk children should be clustered");
  assert.equal(seen.inClusters + seen.single, want.at_risk.length, JSON.stringify(seen));
  await page.context().close();
});

await check("coordinator view: a row is marked, its child ringed, its plan drawn and in sight", async () => {
  const audit = await apiJson("/api/v1/plans/audit", "demo-coordinator");
  const childId = "child-010";
  assert.ok(audit.findings.some((f) => f.child_id === childId));
  const plan = await apiJson(`/api/v1/children/${childId}/plan`, "demo-coordinator");
  const known = new Set([...ids(points), ...ids(shelters)]);
  const drawn = ["shelter_id", "backup_shelter_id", "power_point_id", "backup_power_point_id"].filter((k) => known.has(plan[k] ?? plan.body?.[k])).length;
  assert.ok(drawn >= 1);
  for (const phone of [false, true]) {
    const page = await newPage(browser, { staff: "demo-coordinator", phone });
    await ready(page, "/coordinator");
    await page.waitForFunction((n) => document.body.dataset.findings === String(n), audit.findings.length);
    await page.click(`#audit-table tbody tr[data-child="${childId}"] >> nth=-1`);
    await page.waitForFunction((id) => document.body.dataset.planFor === id, childId);
    const marks = await page.$$eval("#audit-table tbody tr", (trs) => trs.map((tr) => [tr.dataset.child, tr.classList.contains("selected"), tr.getAttribute("aria-selected")]));
    for (const [id, on, aria] of marks) {
      assert.equal(on, id === childId, `row of ${id}`);
      assert.equal(aria, String(id === childId));
    }
    assert.equal(await page.locator(".leaflet-overlay-pane path.pm-selected").count(), 1);
    assert.equal(await page.locator(".leaflet-overlay-pane path.pm-plan-line").count(), drawn);
    const box = await page.$eval("#plan-box", (el) => { const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, h: innerHeight }; });
    assert.ok(box.top >= 0 && box.bottom <= box.h + 1, `plan box out of sight: ${JSON.stringify(box)}`);
    if (!phone) await shot(page, "coordinator-desktop");
    await page.context().close();
  }
});

await check("coordinator view: no plan and a missing destination are shown quietly and plainly", async () => {
  const page = await newPage(browser, { staff: "demo-coordinator" });
  await ready(page, "/coordinator");
  await page.waitForSelector("#audit-table tbody tr");
  await page.click('#audit-table tbody tr[data-child="child-011"] >> nth=0'); // no plan: not a console error
  await page.waitForFunction(() => document.body.dataset.planFor === "child-011");
  assert.match(await page.textContent("#plan-body"), /計画はまだありません/);
  await page.click('#audit-table tbody tr[data-child="child-013"] >> nth=0'); // plans shelter sh-999
  await page.waitForFunction(() => document.body.dataset.planFor === "child-013");
  assert.match(await page.textContent("#plan-body"), /未登録: sh-999/);
  await page.context().close();
});

await check("coordinator view: an open incident is named with a link to its call list; a dark child's plan shows its battery clock", async () => {
  const open = (await apiJson("/api/v1/incidents", "demo-coordinator")).filter((i) => !i.closed_at);
  assert.ok(open.length >= 1, "the demo has an open incident");
  const incident = open[0];
  const list = await apiJson(`/api/v1/incidents/${incident.id}/children`, "demo-coordinator");
  const audit = await apiJson("/api/v1/plans/audit", "demo-coordinator");
  const inTable = [...new Set(audit.findings.map((f) => f.child_id))];
  const dark = list.features.find((f) => inTable.includes(f.id) && f.properties.remaining_min > 0);
  const lit = inTable.find((id) => !list.features.some((f) => f.id === id));
  assert.ok(dark && lit, `the demo needs a dark and a lit child in the audit table (${dark?.id}, ${lit})`);
  const page = await newPage(browser, { staff: "demo-coordinator" });
  await ready(page, "/coordinator");
  const banner = page.locator("#incident-banner");
  await banner.waitFor({ state: "visible" });
  assert.equal(await banner.locator("p").count(), open.length);
  assert.match(await banner.innerText(), new RegExp(`発災中：${incident.name}`));
  assert.equal(await banner.locator("a").first().getAttribute("href"), `/desk?incident=${encodeURIComponent(incident.id)}`);
  await page.waitForFunction((n) => document.body.dataset.findings === String(n), audit.findings.length);
  await page.click(`#audit-table tbody tr[data-child="${dark.id}"] >> nth=0`);
  await page.waitForFunction((id) => document.body.dataset.planFor === id, dark.id);
  const line = page.locator(`#plan-incident .incident-line[data-incident="${incident.id}"]`);
  assert.equal(await line.count(), 1);
  // The page asks a moment later than the test did: the minutes left may be one fewer.
  const said = (m) => `あと ${Math.floor(m / 60) ? `${Math.floor(m / 60)}時間${m % 60}分` : `${m}分`}`;
  const text = await line.innerText();
  const m = dark.properties.remaining_min;
  assert.ok([m, m - 1].some((x) => text.includes(said(x))), `${text} should say ${said(m)}`);
  await shot(page, "coordinator-incident");
  await page.click(`#audit-table tbody tr[data-child="${lit}"] >> nth=0`);
  await page.waitForFunction((id) => document.body.dataset.planFor === id, lit);
  assert.equal(await page.locator("#plan-incident .incident-line").count(), 0, "a child with power shows no clock");
  // In English the banner says it in English.
  await page.click("#lang-toggle");
  await page.waitForFunction(() => /Incident in progress/.test(document.querySelector("#incident-banner")?.textContent || ""));
  await page.click("#lang-toggle");
  await page.waitForFunction(() => /発災中/.test(document.querySelector("#incident-banner")?.textContent || ""));
  // The banner's link opens the desk on that incident.
  await banner.locator("a").first().click();
  await page.waitForURL(/\/desk\?incident=/);
  await page.waitForFunction((id) => document.querySelector("#incident-select")?.value === id && document.body.dataset.calls, incident.id);
  await page.context().close();
});

await check("coordinator view: the CSV holds what the severity filter shows; rules sort by their label", async () => {
  const audit = await apiJson("/api/v1/plans/audit", "demo-coordinator");
  const errors = audit.findings.filter((f) => f.severity === "error").length;
  assert.ok(errors > 0 && errors < audit.findings.length);
  const page = await newPage(browser, { staff: "demo-coordinator" });
  await ready(page, "/coordinator");
  await page.waitForSelector("#audit-table tbody tr");
  await page.selectOption("#severity-select", "error");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv-btn")]);
  const text = readFileSync(await download.path(), "utf8");
  assert.ok(text.startsWith("\uFEFF"), "the BOM Excel needs");
  const lines = text.slice(1).trim().split(/\r?\n/);
  assert.equal(lines[0], "児童ID,氏名,地区,重要度,ルール,内容");
  assert.equal(lines.length - 1, errors);
  assert.ok(lines.slice(1).every((l) => l.split(",")[3] === "エラー"), text);

  await page.selectOption("#severity-select", "");
  await page.click('th[data-sort="rule"] button');
  assert.equal(await page.getAttribute('th[data-sort="rule"]', "aria-sort"), "ascending");
  assert.equal(await page.getAttribute('th[data-sort="severity"]', "aria-sort"), "none");
  const labels = await page.$$eval("#audit-table tbody tr td:nth-child(4)", (tds) => tds.map((td) => td.firstChild.textContent));
  assert.deepEqual(labels, [...labels].sort((a, b) => a.localeCompare(b, "ja")));
  await page.context().close();
});

await check("phone: 'この地点で探す' searches at the map centre; no clustering from zoom 14; no jump on load", async () => {
  const page = await newPage(browser, { phone: true, family: "demo-family" });
  await ready(page, "/");
  await listedIds(page, home001.features.length);
  await page.waitForTimeout(400);
  assert.equal(await page.evaluate(() => window.scrollY), 0, "a load by itself does not scroll to the list");
  // The centre once the map has come to rest after the first answer's fit.
  const centreNow = () => page.evaluate(() => window.powermap.map.getCenter());
  let centre = await centreNow();
  for (let still = 0; still < 3; ) {
    await page.waitForTimeout(150);
    const next = await centreNow();
    still = next.lat === centre.lat && next.lng === centre.lng ? still + 1 : 0;
    centre = next;
  }
  const q = await nearestQuery(page, () => page.tap("#here-btn"));
  assert.ok(Math.abs(Number(q.get("lat")) - centre.lat) < 1e-9 && Math.abs(Number(q.get("lon")) - centre.lng) < 1e-9);
  const want = await apiJson(`/api/v1/children/child-001/nearest-power?k=5&lat=${q.get("lat")}&lon=${q.get("lon")}`, "demo-family");
  await expectListed(page, ids(want));
  await page.waitForFunction(() => window.scrollY > 100, null, { timeout: 5000 }); // asked for: the list comes into view
  await zoomTo(page, 14);
  assert.equal(await page.locator(".leaflet-marker-pane .pm-cluster").count(), 0);
  await page.context().close();
});

await check("legend names power kinds, status colours, shelters and (for staff) children", async () => {
  const page = await newPage(browser, { staff: "demo-planner" });
  await ready(page, "/planner");
  await page.click(".legend summary");
  const text = await page.textContent(".legend");
  for (const s of ["発電機", "病院", "利用可", "使用不可", "避難所", "医療的ケア児の自宅", "バッテリーが持たない児童"]) assert.ok(text.includes(s), s);
  await page.context().close();
});

await check("errors are in Japanese; bad watts and hours are caught in the browser", async () => {
  const family = await newPage(browser);
  await ready(family, `/?lat=${origin.lat}&lon=${origin.lon}`);
  await family.waitForSelector("#results li");
  await family.fill("#min-w", "-5");
  let asked = 0;
  family.on("request", (r) => /nearest/.test(r.url()) && (asked += 1));
  await family.click("#search-btn");
  assert.match(await family.textContent("#message"), /0 以上の数字/);
  assert.equal(await family.getAttribute("#min-w", "aria-invalid"), "true");
  assert.equal(asked, 0, "nothing is sent");
  await family.context().close();

  const planner = await newPage(browser, { staff: "demo-planner" });
  await ready(planner, "/planner");
  await planner.selectOption("#preset-select", "north-72h");
  await planner.fill("#hours-input", "0");
  await planner.click("#run-btn");
  assert.match(await planner.textContent("#message"), /0 より大きい数字/);
  await planner.context().close();

  // A family token on a staff page: the server's 403 reads as Japanese, not as its English message.
  const wrong = await newPage(browser, { staff: "demo-family", allow: [/status of 403/] });
  await ready(wrong, "/coordinator");
  await wrong.waitForFunction(() => document.querySelector("#message").textContent.length > 0);
  assert.equal(await wrong.textContent("#message"), "このトークンではこの操作はできません。");
  await wrong.context().close();
});

await check("language: saved choice sets <html lang> on load; a switch redraws lists and keeps filters", async () => {
  const en = await newPage(browser, { lang: "en", family: "demo-family" });
  await ready(en, "/");
  assert.equal(await en.getAttribute("html", "lang"), "en");
  assert.match(await en.textContent("#child-devices"), /Ventilator/);
  await en.click("#lang-toggle");
  assert.equal(await en.getAttribute("html", "lang"), "ja");
  assert.match(await en.textContent("#child-devices"), /人工呼吸器/);
  assert.match(await en.textContent("#results"), /徒歩/);
  assert.match(await en.textContent(".legend"), /凡例/);
  await en.context().close();

  const planner = await newPage(browser, { staff: "demo-planner" });
  await ready(planner, "/planner");
  const shown = () => planner.locator(".leaflet-marker-pane .pm-icon span", { hasText: /^G$/ }).count();
  await planner.uncheck("#kind-generator");
  assert.equal(await shown(), 0);
  await planner.click("#lang-toggle");
  assert.equal(await planner.isChecked("#kind-generator"), false, "the filter survives the switch");
  assert.equal(await planner.textContent('label:has(#kind-generator) span'), "Generator");
  assert.equal(await shown(), 0);
  await planner.context().close();
});

await check("offline notice: small, at the top, closable, and gone once tiles load", async () => {
  const page = await newPage(browser, { phone: true });
  await ready(page, "/");
  await page.waitForSelector("#offline-notice:not([hidden])");
  const notice = await page.locator("#offline-notice").boundingBox();
  const map = await page.locator("#map").boundingBox();
  const attribution = await page.locator(".leaflet-control-attribution").boundingBox();
  assert.ok(notice.y - map.y < 20 && notice.height < 60, JSON.stringify(notice));
  assert.ok(notice.y + notice.height < attribution.y, "clear of the attribution");
  await page.click("#offline-notice button");
  assert.ok(await page.$eval("#offline-notice", (el) => el.hidden));
  await page.context().close();

  const again = await newPage(browser);
  await ready(again, "/");
  await again.waitForSelector("#offline-notice:not([hidden])");
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
  await again.route(/cyberjapandata/, (r) => r.fulfill({ contentType: "image/png", body: png }));
  await again.evaluate(() => window.powermap.map.panBy([600, 0], { animate: false }));
  await again.waitForSelector("#offline-notice[hidden]", { state: "attached", timeout: 5000 });
  await again.context().close();
});

await check("touch targets on a phone: 44 px, checkboxes 24 px", async () => {
  for (const path of ["/", "/planner", "/coordinator"]) {
    const page = await newPage(browser, { phone: true, staff: "demo-coordinator" });
    await ready(page, path);
    const small = await page.evaluate(() => {
      const sel = "nav.views a, .leaflet-control-zoom a, .leaflet-pm-toolbar a.leaflet-buttons-control-button, #token-box summary, label.check, .legend summary, #here-btn, #lang-toggle, #audit-table th button, button";
      return [...document.querySelectorAll(sel)]
        .filter((el) => el.offsetParent !== null)
        .map((el) => [el.id || el.className || el.tagName, el.getBoundingClientRect().height])
        .filter(([, h]) => h < 44);
    });
    assert.deepEqual(small, [], path);
    const boxes = await page.$$eval('input[type="checkbox"]', (cs) => cs.filter((c) => c.offsetParent).map((c) => c.getBoundingClientRect().width));
    assert.ok(boxes.every((w) => w >= 24), `${path}: ${boxes}`);
    await page.context().close();
  }
});

await check("keyboard and screen readers: result names are buttons, sort headers too, labels in Japanese", async () => {
  const page = await newPage(browser, { family: "demo-family" });
  await ready(page, "/");
  await listedIds(page, home001.features.length);
  assert.equal(await page.getAttribute("#map", "aria-label"), "地図");
  assert.equal(await page.$eval("#token-input", (el) => el.labels.length), 1);
  const second = home001.features[1];
  await page.focus("#results li:nth-child(2) .result-name");
  await page.keyboard.press("Enter");
  await page.waitForFunction(([lon, lat]) => {
    const map = window.powermap.map;
    return map.getZoom() === 16 && map.getBounds().contains([lat, lon]);
  }, second.geometry.coordinates);
  await page.waitForSelector(".leaflet-popup-content");
  assert.match(await page.textContent(".leaflet-popup-content"), new RegExp(second.properties.name));
  await page.context().close();

  const coord = await newPage(browser, { staff: "demo-coordinator" });
  await ready(coord, "/coordinator");
  await coord.waitForSelector("#audit-table tbody tr");
  await coord.focus('th[data-sort="child"] button');
  await coord.keyboard.press("Enter");
  assert.equal(await coord.getAttribute('th[data-sort="child"]', "aria-sort"), "ascending");
  await coord.focus("#audit-table tbody tr:first-child");
  await coord.keyboard.press("Enter");
  await coord.waitForSelector("#plan-box:not([hidden])");
  await coord.context().close();
});

await check("plan sheet: numbered map markers, 未登録 destinations, and trips over half the battery, on one page", async () => {
  const context = await browser.newContext({ extraHTTPHeaders: { Authorization: "Bearer demo-coordinator" } });
  const page = await context.newPage();
  for (const [id, expect] of [["child-008", /バッテリーの半分（約15分）を超えます/], ["child-013", /未登録: sh-999/]]) {
    await page.goto(`${base}/api/v1/children/${id}/plan/sheet`);
    assert.match(await page.textContent("body"), expect, id);
    const numbered = await page.$$eval("svg circle", (cs) => cs.length);
    const rows = await page.$$eval(".num", (ns) => ns.map((n) => n.textContent));
    assert.deepEqual(rows, Array.from({ length: numbered }, (_, i) => String(i + 1)), `${id}: table numbers match the map's`);
    const pdf = await page.pdf({ format: "A4", preferCSSPageSize: true, printBackground: true });
    assert.equal((pdf.toString("latin1").match(/\/Type\s*\/Page(?!s)/g) || []).length, 1, `${id} prints to one page`);
  }
  await context.close();
});

await check(`the server started in ${web ? "--web " + web : "an empty directory"} serves every page, versioned assets cached for good`, async () => {
  for (const path of ["/", "/planner", "/coordinator"]) {
    const res = await fetch(base + path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("cache-control"), "no-cache", path);
    const html = await res.text();
    const script = html.match(/<script src="([^"]+leaflet\.js)"/)[1];
    const asset = await fetch(base + script);
    assert.equal(asset.status, 200, script);
    assert.equal(asset.headers.get("cache-control"), web ? "no-cache" : "public, max-age=31536000, immutable", script);
  }
});

await check("staff pages show the demo tokens; a click on one uses it", async () => {
  const config = await apiJson("/api/v1/config");
  assert.equal(config.demo, true);
  const page = await newPage(browser);
  await ready(page, "/coordinator");
  assert.ok(await page.$eval("#token-box", (el) => el.open), "the token box is open while no token is saved");
  assert.match(await page.textContent("#demo-tokens"), /デモ用トークン.*demo-coordinator/);
  assert.equal(await page.locator("#demo-tokens button[data-token=\"demo-family\"]").count(), 0, "the family token belongs to the family page");
  const audit = await apiJson("/api/v1/plans/audit", "demo-coordinator");
  await page.click('#demo-tokens button[data-token="demo-coordinator"]');
  await page.waitForFunction((n) => document.body.dataset.findings === String(n), audit.findings.length);
  await page.click("#lang-toggle");
  assert.match(await page.textContent("#demo-tokens"), /Demo tokens/);
  await page.context().close();
  const family = await newPage(browser);
  await ready(family, "/");
  assert.equal(await family.locator("#demo-tokens").count(), 0, "the family page does not list staff tokens");
  await family.context().close();
});

await check("only the browser builds under node_modules are served", async () => {
  assert.equal((await fetch(`${base}/node_modules/leaflet/dist/leaflet.js`)).status, 200);
  assert.equal((await fetch(`${base}/node_modules/playwright-core/package.json`)).status, 404);
  assert.equal((await fetch(`${base}/node_modules/leaflet/package.json`)).status, 404);
});

await check("outage desk: a check reorders the call list; a family's tap on its phone reaches the desk without a reload", async () => {
  const started = new Date(Date.now() - 3 * 3600e3).toISOString();
  const incident = await apiJson("/api/v1/incidents", "demo-planner", { method: "POST", body: JSON.stringify({ name: "ブラウザ試験 台風", started_at: started }) });
  const city = { type: "Polygon", coordinates: [[[139.9, 35.7], [140.2, 35.7], [140.2, 35.9], [139.9, 35.9], [139.9, 35.7]]] };
  await apiJson(`/api/v1/incidents/${incident.id}/outages`, "demo-planner", { method: "POST", body: JSON.stringify({ type: "Feature", geometry: city, properties: { since: started, source: "drawn" } }) });
  await apiJson("/api/v1/power-points/pp-001/reports", "demo-planner", { method: "POST", body: JSON.stringify({ status: "limited", free_outlets: 1, fuel_h_left: 3, queue_people: 4 }) });
  const point = await apiJson("/api/v1/power-points/pp-001");
  const page = await newPage(browser, { staff: "demo-planner" });
  await ready(page, "/desk");
  await page.selectOption("#incident-select", incident.id);
  // A point's live report shows on the desk's map: free outlets, fuel and queue.
  await page.waitForFunction(() => document.body.dataset.calls);
  await page.evaluate(([lon, lat]) => window.powermap.map.setView([lat, lon], 17, { animate: false }), point.geometry.coordinates);
  await page.locator(`.leaflet-marker-icon[title="${point.properties.name}"]`).first().click({ force: true });
  await page.waitForSelector(".leaflet-popup-content .live");
  assert.match(await page.textContent(".leaflet-popup-content"), /空き 1口・燃料 .+ まで・待ち 4人/);
  const list = await apiJson(`/api/v1/incidents/${incident.id}/children?margin_min=60`, "demo-planner");
  const order = list.features.map((f) => f.id);
  assert.ok(order.length >= 3, `the demo city has children under the outage (${order.length})`);
  await page.waitForFunction((ids) => document.body.dataset.calls === ids, order.join(","));
  await shot(page, "desk");
  const first = order[0];
  await page.click(`button.call[data-id="${first}"]`);
  await page.check('input[name=reached][value="true"]');
  await page.selectOption("#status-select", "at_power_point");
  await page.click("#check-save");
  // On outside power the clock stops: no leave-by time, so the child moves down among those
  // without one; the page shows the API's new order without a reload.
  await page.waitForFunction((id) => document.querySelector(`button.call[data-id="${id}"]`)?.textContent.includes("外部電源で稼働中"), first);
  const after = (await apiJson(`/api/v1/incidents/${incident.id}/children?margin_min=60`, "demo-planner")).features.map((f) => f.id);
  assert.notEqual(after[0], first);
  assert.equal(after.find((id) => id === first), first);
  await page.waitForFunction((ids) => document.body.dataset.calls === ids, after.join(","));
  // The family, on its phone, sees the countdown the server computes and taps 「救助が必要」.
  const me = await apiJson("/api/v1/me", "demo-family");
  const own = me.child_ids[0];
  const mine = await apiJson(`/api/v1/children/${own}/incident`, "demo-family");
  const card = mine.find((i) => i.incident_id === incident.id);
  assert.ok(card, "the family's home is dark in the test incident");
  const phone = await newPage(browser, { phone: true, family: "demo-family" });
  await ready(phone, "/");
  await phone.waitForFunction(() => document.body.dataset.incidents && document.body.dataset.incidents !== "0");
  const text = await phone.textContent("#incident-box");
  assert.match(text, /停電中：ブラウザ試験 台風/);
  assert.match(text, card.remaining_min > 0 ? /あと .+ でバッテリーが切れます/ : /バッテリーが切れている時刻です/);
  await shot(phone, "family-incident-phone");
  await phone.click(`#incident-box button.report[data-incident="${incident.id}"][data-status="needs_rescue"]`);
  await phone.waitForFunction(() => /と市に伝えました/.test(document.querySelector("#incident-box .report-sent")?.textContent || ""));
  // …and the desk, without a reload, shows it.
  await page.waitForFunction((id) => document.querySelector(`button.call[data-id="${id}"]`)?.textContent.includes("救助が必要"), own, { timeout: 10000 });
  await shot(page, "desk-after-checks");
  await phone.context().close();
  await page.context().close();
});

await check("no console errors on any page", async () => {
  assert.deepEqual(consoleErrors, []);
});

await browser.close();
server.kill("SIGTERM");
rmSync(dir, { recursive: true, force: true });
if (!process.argv.includes("--cwd")) rmSync(cwd, { recursive: true, force: true });
console.log(results.join("\n"));
const failed = results.filter((r) => r.startsWith("FAIL")).length;
console.log(`browser tests: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
