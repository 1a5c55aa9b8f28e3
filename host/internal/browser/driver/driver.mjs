// The browser driver of Factorgate's browser tests. The Go package beside this
// folder starts it with node and speaks JSON lines over stdin and stdout: one
// request {"id", "op", "page", "args"} per line, one answer {"id", "result"} or
// {"id", "error"} per line. It drives Debian's Chromium with playwright-core,
// headless, with a fresh profile per browser context.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);

// Generous bounds: a busy machine must not fail a test, a real hang must.
const ACTION_TIMEOUT_MS = 180_000;

const executablePath = process.env.FACTORGATE_CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
  ],
});

// pages maps an id the Go side holds to a page, its context, its CDP session
// and what its console said.
const pages = new Map();
let nextPage = 1;

async function newPage({ width = 1280, height = 800 } = {}) {
  // A context is a fresh profile: no cookies, no storage, its own
  // authenticators.
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  const entry = { context, page, cdp: null, console: [] };
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") {
      entry.console.push(`${msg.type()}: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => entry.console.push(`pageerror: ${err.message}`));
  const id = nextPage++;
  pages.set(id, entry);
  return id;
}

function pageOf(id) {
  const entry = pages.get(id);
  if (!entry) throw new Error(`no page ${id}`);
  return entry;
}

// boxesOf measures every element a selector matches; with text, it measures
// the rendered text itself (a Range over the element's contents), which is
// what a reader sees even when the element's box is wider.
function boxesOf(page, selector, text) {
  return page.$$eval(
    selector,
    (els, text) =>
      els.map((el) => {
        let r = el.getBoundingClientRect();
        if (text) {
          const range = document.createRange();
          range.selectNodeContents(el);
          r = range.getBoundingClientRect();
        }
        const style = getComputedStyle(el);
        return {
          x: r.x,
          y: r.y,
          width: r.width,
          height: r.height,
          text: el.textContent.trim(),
          clipped: el.scrollWidth > el.clientWidth && style.overflowX !== "visible",
        };
      }),
    text,
  );
}

let axeSource = null;
async function axe(page, tags) {
  axeSource ??= readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  // page.evaluate runs through the DevTools protocol, so the page's CSP
  // (script-src 'self') does not stop it and need not be bypassed.
  await page.evaluate(axeSource);
  return page.evaluate(async (tags) => {
    const options = tags && tags.length ? { runOnly: { type: "tag", values: tags } } : {};
    const res = await globalThis.axe.run(document, options);
    return res.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")),
    }));
  }, tags);
}

const ops = {
  newPage: (_, args) => newPage(args),
  closePage: async (e, _, id) => {
    await e.context.close();
    pages.delete(id);
    return null;
  },
  goto: async (e, { url }) => {
    const res = await e.page.goto(url, { waitUntil: "load" });
    return res ? res.status() : 0;
  },
  url: (e) => e.page.url(),
  title: (e) => e.page.title(),
  content: (e) => e.page.content(),
  click: async (e, { selector }) => {
    await e.page.click(selector);
    return null;
  },
  // clickNav clicks and waits for the navigation the click starts.
  clickNav: async (e, { selector }) => {
    await Promise.all([e.page.waitForNavigation({ waitUntil: "load" }), e.page.click(selector)]);
    return e.page.url();
  },
  fill: async (e, { selector, value }) => {
    await e.page.fill(selector, value);
    return null;
  },
  check: async (e, { selector }) => {
    await e.page.check(selector);
    return null;
  },
  select: async (e, { selector, value }) => e.page.selectOption(selector, value),
  text: (e, { selector }) => e.page.innerText(selector),
  texts: (e, { selector }) => e.page.$$eval(selector, (els) => els.map((el) => el.innerText)),
  attr: (e, { selector, name }) => e.page.getAttribute(selector, name),
  count: (e, { selector }) => e.page.locator(selector).count(),
  waitFor: async (e, { selector, state }) => {
    await e.page.waitForSelector(selector, { state: state || "visible" });
    return null;
  },
  waitURL: async (e, { pattern }) => {
    const re = new RegExp(pattern);
    await e.page.waitForURL((u) => re.test(u.toString()));
    return e.page.url();
  },
  eval: (e, { expression }) => e.page.evaluate(expression),
  viewport: async (e, { width, height }) => {
    await e.page.setViewportSize({ width, height });
    return null;
  },
  boxes: (e, { selector, text }) => boxesOf(e.page, selector, text),
  axe: (e, { tags }) => axe(e.page, tags),
  cdp: async (e, { method, params }) => {
    e.cdp ??= await e.context.newCDPSession(e.page);
    return e.cdp.send(method, params || {});
  },
  cookies: (e) => e.context.cookies(),
  clearCookies: async (e) => {
    await e.context.clearCookies();
    return null;
  },
  screenshot: async (e, { path }) => {
    await e.page.screenshot({ path, fullPage: true });
    return null;
  },
  console: (e) => {
    const out = e.console;
    e.console = [];
    return out;
  },
};

async function handle(req) {
  if (req.op === "newPage") return newPage(req.args);
  const op = ops[req.op];
  if (!op) throw new Error(`unknown op ${req.op}`);
  return op(pageOf(req.page), req.args || {}, req.page);
}

function reply(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

const lines = createInterface({ input: process.stdin });
reply({ id: 0, result: { ready: true, version: browser.version() } });
for await (const line of lines) {
  if (!line.trim()) continue;
  let req;
  try {
    req = JSON.parse(line);
  } catch (err) {
    reply({ id: -1, error: `bad request: ${err.message}` });
    continue;
  }
  try {
    const result = await handle(req);
    reply({ id: req.id, result: result === undefined ? null : result });
  } catch (err) {
    reply({ id: req.id, error: String(err && err.message ? err.message : err) });
  }
}
await browser.close();
