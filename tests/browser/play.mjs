#!/usr/bin/env node
// play.mjs: headless-browser player harness for kvs-remux's integration tests.
//
// Plays one HLS (hls.js) or DASH (dash.js) URL in Debian's Chromium, driven by
// puppeteer-core, and reports whether it played to the end:
//
//   node tests/browser/play.mjs --player hls|dash --url URL [--rate 4] [--timeout 60]
//        [--screenshot PATH] [--alternate-origin http://127.0.0.1:PORT2]
//
// The player page (player.html, hls.min.js, dash.all.min.js) is served by a tiny
// static server started here on 127.0.0.1 at a random port, so the media URL is
// on another origin and every media request is a CORS request.
// With --alternate-origin, every other request for the media (playlists,
// manifests, init and media segments) is sent to that origin instead, through
// puppeteer's request interception (the page and the player do not see it).
//
// stdout: ONE JSON line {"player","ended","currentTime","duration","errors",
// "requests","alternated","screenshot"}; everything else (browser console,
// progress) goes to stderr. Exit 0: played to the end without a fatal error;
// 1: failure; 2: usage error. Run tests/browser/setup.sh first.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const USAGE = 'usage: node tests/browser/play.mjs --player hls|dash --url URL [--rate 4] [--timeout 60] ' +
  '[--screenshot PATH] [--alternate-origin http://HOST:PORT]';

function usageError(message) {
  process.stderr.write(`play.mjs: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { player: null, url: null, rate: 4, timeout: 60, screenshot: null, alternateOrigin: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    let value = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const known = ['--player', '--url', '--rate', '--timeout', '--screenshot', '--alternate-origin'];
    if (!known.includes(name)) usageError(`unknown argument ${arg}`);
    if (value === undefined) {
      if (i + 1 >= argv.length) usageError(`${name} needs a value`);
      value = argv[++i];
    }
    switch (name) {
      case '--player': opts.player = value; break;
      case '--url': opts.url = value; break;
      case '--rate': opts.rate = Number(value); break;
      case '--timeout': opts.timeout = Number(value); break;
      case '--screenshot': opts.screenshot = path.resolve(value); break;
      case '--alternate-origin': opts.alternateOrigin = value; break;
    }
  }
  if (opts.player !== 'hls' && opts.player !== 'dash') usageError('--player must be hls or dash');
  if (!opts.url) usageError('--url is required');
  try {
    const u = new URL(opts.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    usageError(`--url is not an http(s) URL: ${opts.url}`);
  }
  if (!(opts.rate > 0 && opts.rate <= 16)) usageError('--rate must be a number in (0, 16]');
  if (!(opts.timeout > 0)) usageError('--timeout must be a positive number of seconds');
  if (opts.alternateOrigin !== null) {
    try {
      const u = new URL(opts.alternateOrigin);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
      opts.alternateOrigin = u.origin;
    } catch {
      usageError(`--alternate-origin is not an http(s) origin: ${opts.alternateOrigin}`);
    }
  }
  return opts;
}

// The static server for the player page: a fixed set of files, nothing else.
function startPageServer() {
  const files = {
    '/': ['player.html', 'text/html; charset=utf-8'],
    '/player.html': ['player.html', 'text/html; charset=utf-8'],
    '/hls.min.js': ['node_modules/hls.js/dist/hls.min.js', 'text/javascript'],
    '/dash.all.min.js': ['node_modules/dashjs/dist/modern/umd/dash.all.min.js', 'text/javascript'],
  };
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url, 'http://x').pathname;
    const entry = files[pathname];
    if (!entry) {
      res.writeHead(pathname === '/favicon.ico' ? 204 : 404);
      res.end();
      return;
    }
    fs.readFile(path.join(HERE, entry[0]), (err, body) => {
      if (err) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(err));
        return;
      }
      res.writeHead(200, { 'Content-Type': entry[1], 'Cache-Control': 'no-store' });
      res.end(body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function describeState(s) {
  if (!s) return 'the page never answered';
  return `loaded=${s.loaded} readyState=${s.readyState} networkState=${s.networkState} ` +
    `paused=${s.paused} currentTime=${fmt(s.currentTime)} duration=${fmt(s.duration)} ` +
    `rate=${s.playbackRate} buffered=[${s.buffered}] last events: ${s.events.slice(-8).join(' ')}`;
}

function fmt(n) {
  return typeof n === 'number' && isFinite(n) ? n.toFixed(3) : String(n);
}

function finite(n) {
  return typeof n === 'number' && isFinite(n) ? n : null;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const result = {
    player: opts.player,
    ended: false,
    currentTime: null,
    duration: null,
    errors: [],
    requests: 0,
    alternated: 0,
    screenshot: null,
  };
  const finish = (ok) => {
    process.stdout.write(JSON.stringify(result) + '\n');
    process.stderr.write(`play.mjs: ${ok ? 'OK' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return ok ? 0 : 1;
  };

  let puppeteer;
  try {
    puppeteer = (await import('puppeteer-core')).default;
  } catch (e) {
    result.errors.push(`puppeteer-core is not installed (${e.message}): run tests/browser/setup.sh`);
    return finish(false);
  }
  for (const f of ['node_modules/hls.js/dist/hls.min.js', 'node_modules/dashjs/dist/modern/umd/dash.all.min.js']) {
    if (!fs.existsSync(path.join(HERE, f))) {
      result.errors.push(`${f} is missing: run tests/browser/setup.sh`);
      return finish(false);
    }
  }
  if (!fs.existsSync(CHROMIUM)) {
    result.errors.push(`${CHROMIUM} is missing: run tests/browser/setup.sh`);
    return finish(false);
  }

  const server = await startPageServer();
  const pageOrigin = `http://127.0.0.1:${server.address().port}`;
  let browser = null;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true, // the new headless mode (--headless=new)
      args: [
        '--headless=new',
        '--no-sandbox', // we run as root
        '--autoplay-policy=no-user-gesture-required',
        '--mute-audio',
        '--use-gl=angle',
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--no-default-browser-check',
      ],
      defaultViewport: { width: 640, height: 480 },
      protocolTimeout: Math.max(30000, opts.timeout * 1000),
    });
    const version = await browser.version();
    process.stderr.write(`play.mjs: ${version}, page at ${pageOrigin}, ${opts.player} ${opts.url}\n`);

    const page = await browser.newPage();
    page.on('console', (msg) => {
      const text = msg.text();
      process.stderr.write(`[console.${msg.type()}] ${text}\n`);
      // Chromium reports a CORS refusal only on the console: keep it, it is the reason of the failure.
      if (/CORS policy/.test(text) && !result.errors.includes(`console: ${text}`)) result.errors.push(`console: ${text}`);
    });
    page.on('pageerror', (err) => {
      process.stderr.write(`[pageerror] ${err.message}\n`);
      result.errors.push(`fatal: page error: ${err.message}`);
    });
    // Count the media requests (everything not for the page's own origin) and,
    // with --alternate-origin, send every other one to the other origin.
    // A failed media request is reported (non-fatal: the player may retry it;
    // a retry goes to the other origin when alternating).
    const isMedia = (u) => /^https?:/.test(u) && new URL(u).origin !== pageOrigin;
    const rewritten = new WeakMap(); // request -> the URL it was really sent to
    const shown = (req) => (rewritten.has(req) ? `${req.url()} (sent to ${rewritten.get(req)})` : req.url());
    page.on('requestfailed', (req) => {
      const text = `request failed: ${shown(req)} ${req.failure()?.errorText}`;
      process.stderr.write(`[${text}]\n`);
      // ERR_ABORTED is the player cancelling a request itself, not a failure.
      if (isMedia(req.url()) && req.failure()?.errorText !== 'net::ERR_ABORTED') result.errors.push(`non-fatal: ${text}`);
    });
    page.on('response', (res) => {
      if (res.status() < 400) return;
      const text = `HTTP ${res.status()} for ${shown(res.request())}`;
      process.stderr.write(`[${text}]\n`);
      if (isMedia(res.url())) result.errors.push(`non-fatal: ${text}`);
    });
    if (opts.alternateOrigin) {
      await page.setRequestInterception(true);
      page.on('request', (req) => {
        const u = req.url();
        if (!isMedia(u)) {
          req.continue();
          return;
        }
        const n = result.requests++;
        if (n % 2 === 1) {
          const orig = new URL(u);
          const target = opts.alternateOrigin + orig.pathname + orig.search;
          result.alternated++;
          rewritten.set(req, target);
          process.stderr.write(`[request ${n}] ${u} -> ${target}\n`);
          req.continue({ url: target });
        } else {
          process.stderr.write(`[request ${n}] ${u}\n`);
          req.continue();
        }
      });
    } else {
      page.on('request', (req) => {
        if (isMedia(req.url())) {
          process.stderr.write(`[request ${result.requests}] ${req.url()}\n`);
          result.requests++;
        }
      });
    }

    const query = new URLSearchParams({
      player: opts.player,
      url: opts.url,
      rate: String(opts.rate),
      shot: opts.screenshot ? '1' : '0',
    });
    const deadline = started + opts.timeout * 1000;
    await page.goto(`${pageOrigin}/player.html?${query}`, { waitUntil: 'load', timeout: opts.timeout * 1000 });

    // Poll the page until it ended, failed or ran out of time.
    let state = null;
    let ok = false;
    let atEndSince = null;
    for (;;) {
      state = await page.evaluate(() => window.harness.snapshot());
      result.currentTime = finite(state.currentTime);
      result.duration = finite(state.duration);
      if (state.shotPending) {
        fs.mkdirSync(path.dirname(opts.screenshot), { recursive: true });
        const video = await page.$('video');
        await video.screenshot({ path: opts.screenshot, type: 'png' });
        result.screenshot = opts.screenshot;
        process.stderr.write(`play.mjs: screenshot at ${fmt(state.currentTime)} s -> ${opts.screenshot}\n`);
        await page.evaluate(() => window.harness.resume());
        continue;
      }
      if (state.fatal) break;
      // Done at the `ended` event; or when currentTime has reached the end
      // (within 50 ms) and no `ended` event came in the 2 s after.
      const atEnd = result.duration !== null && result.currentTime !== null &&
        result.currentTime >= result.duration - 0.05;
      if (!atEnd) atEndSince = null;
      else if (atEndSince === null) atEndSince = Date.now();
      if (state.ended || (atEnd && Date.now() - atEndSince >= 2000)) {
        ok = true;
        break;
      }
      if (Date.now() > deadline) {
        result.errors.push(`timeout after ${opts.timeout} s: ${describeState(state)}`);
        break;
      }
      await sleep(100);
    }
    result.ended = ok;
    result.errors = [...state.errors, ...result.errors];
    if (ok && opts.screenshot && !result.screenshot) {
      result.errors.push('fatal: ended before the screenshot could be taken');
      ok = false;
    }
    if (!ok && !result.errors.some((e) => e.startsWith('timeout') || e.startsWith('fatal'))) {
      result.errors.push(`failed: ${describeState(state)}`);
    } else if (!ok && state.fatal) {
      result.errors.push(`player state: ${describeState(state)}`);
    }
    return finish(ok);
  } catch (e) {
    result.errors.push(`harness error: ${e.message}`);
    return finish(false);
  } finally {
    if (browser) await browser.close().catch(() => {});
    server.close();
  }
}

process.exitCode = await main();
