// Starts tauri-driver and a WebDriver session on the real app, and gives tests small helpers.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { remote } from "webdriverio";

export const OUT_DIR = process.env.E2E_OUT ?? path.resolve("../../target/e2e");
export const DATA_DIR = process.env.MISSION_STUDIO_DATA_DIR;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitForPort(port, child, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on port ${port} within ${timeoutMs} ms`);
}

/** Process ids of this test run's app: its executable, started with this run's E2E_APP. */
function appPids(application) {
  const exe = realpathSync(application);
  const pids = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/exe`) !== exe) continue;
      const env = readFileSync(`/proc/${name}/environ`, "utf8").split("\0");
      if (env.includes(`E2E_APP=${application}`)) pids.push(Number(name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

/** Waits until the app of an earlier test file has exited: the app is single-instance, so a
 * new one started while the last one is still closing hands over to it and never shows a
 * window (the WebDriver session would hang). One still there after the wait is stopped. */
async function waitForAppExit(application, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (appPids(application).length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of appPids(application)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Launches the app under tauri-driver; returns the browser and a stop function. */
export async function launchApp() {
  const application = process.env.E2E_APP;
  if (!application) throw new Error("E2E_APP is not set; run the tests with tests/e2e/run.sh");
  await waitForAppExit(application);
  mkdirSync(OUT_DIR, { recursive: true });
  const port = await freePort();
  const nativePort = await freePort();
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitForPort(port, driver);
  // tauri-driver starts WebKitWebDriver on the native port; it must listen before a session starts.
  await waitForPort(nativePort, driver);
  const browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "warn",
    connectionRetryCount: 0,
    capabilities: { "tauri:options": { application } },
  });
  await browser.setTimeout({ implicit: 0 });
  const stop = async () => {
    try {
      await browser.deleteSession();
    } finally {
      driver.kill("SIGTERM");
      await waitForAppExit(application);
    }
  };
  return { browser, stop };
}

/** Saves a screenshot of the window under target/e2e/<name>.png. */
export async function screenshot(browser, name) {
  const file = path.join(OUT_DIR, `${name}.png`);
  // Let the page's entry animation and any theme transition settle first.
  await browser.pause(350);
  // A screenshot waits for the page's next rendering update. When WebKit paints without
  // compositing (the app's choice on a machine without a GPU) a page at rest has none, so one
  // transparent pixel changes every frame while the screenshot is taken.
  await browser.execute(() => {
    const dot = document.createElement("div");
    dot.id = "e2e-repaint";
    dot.style.cssText = "position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;z-index:2147483647";
    document.body.append(dot);
    let on = false;
    const tick = () => {
      if (!dot.isConnected) return;
      on = !on;
      dot.style.background = on ? "rgba(0,0,0,0.01)" : "transparent";
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  try {
    await browser.saveScreenshot(file);
  } finally {
    await browser.execute(() => document.getElementById("e2e-repaint")?.remove());
  }
  return file;
}

/** Waits for an element by data-testid and returns it. */
export async function byTestId(browser, id, timeout = 10_000) {
  const el = await browser.$(`[data-testid="${id}"]`);
  await el.waitForExist({ timeout, timeoutMsg: `no element with data-testid="${id}" after ${timeout} ms` });
  return el;
}
