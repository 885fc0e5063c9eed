// Helpers of the browser tests: drive VS Code (code-server) as a user would,
// through Quick Open and the command palette, and reach into the webview.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function openWorkbench(page, url) {
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  await page.waitForSelector('.statusbar', { timeout: 30_000 });
  await page.waitForTimeout(1500);
}

export async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await page.waitForTimeout(200);
  await input.press('Enter');
}

export async function openFile(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(name);
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: name })
    .first()
    .waitFor({ timeout: 15_000 });
  await input.press('Enter');
  // The file's tab is the active one before anything acts on "the active editor".
  await page.locator('.tab.active', { hasText: name }).first().waitFor({ timeout: 15_000 });
  await page.waitForTimeout(300);
}

/**
 * The inspector's document: the webview frame that holds #app. Found through
 * the DOM (webview iframe → its #active-frame → contentFrame()), which resolves
 * frames on demand; page.frames() can miss a webview made while the machine is
 * busy.
 */
export async function inspectorFrame(page, timeoutMs = 30_000) {
  const t0 = Date.now();
  let nudged = false;
  for (;;) {
    // Playwright can miss the attach of an out-of-process webview frame made while the machine is busy
    // (the panel is on screen, the frame is not in Playwright's tree); revealing the panel again re-attaches it.
    if (!nudged && Date.now() - t0 > 5000) {
      nudged = true;
      await runCommand(page, 'Backprop Lens: Show Gradient Inspector').catch(() => undefined);
    }
    for (const outer of await page.$$('iframe')) {
      try {
        const of = await outer.contentFrame();
        if (!of) continue;
        if (await of.$('#app')) return of;
        for (const inner of await of.$$('iframe')) {
          const f = await inner.contentFrame();
          if (f && (await f.$('#app'))) return f;
        }
      } catch {
        /* detached while looking */
      }
    }
    if (Date.now() - t0 > timeoutMs) throw new Error('the inspector webview did not appear');
    await page.waitForTimeout(250);
  }
}

export function writeWorkspaceSettings(workspace, settings) {
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
}

export async function waitFor(what, f, timeoutMs = 60_000, every = 250) {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

/**
 * WCAG contrast of every enabled control in the inspector (buttons, selects, inputs), computed in the page from the
 * rendered colours (a transparent background takes its ancestors'). Returns the lowest ratio and which control.
 */
export async function controlContrast(frame) {
  return frame.evaluate(() => {
    const rgba = (s) => (s.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) => {
      const c = [r, g, b].map((v) => {
        const x = v / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
      }
      return rgba(getComputedStyle(document.body).backgroundColor);
    };
    let worst = { ratio: Infinity, what: '' };
    for (const el of document.querySelectorAll('button, select, input')) {
      if (el.disabled || el.offsetParent === null || el.type === 'checkbox' || el.type === 'range') continue;
      const fg = rgba(getComputedStyle(el).color),
        bg = background(el);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < worst.ratio)
        worst = {
          ratio,
          what: `${el.tagName.toLowerCase()}#${el.id || el.className} "${(el.textContent || el.value || '').trim().slice(0, 20)}" ${getComputedStyle(el).color} on rgb(${bg.slice(0, 3).join(',')})`,
        };
    }
    return worst;
  });
}
