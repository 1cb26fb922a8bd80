/**
 * Debian's Chromium driven by playwright-core (it cannot download a browser here): whether it is
 * installed (a missing one skips, or fails with FACTUM_REQUIRE_SERVICES=1), how to launch it, and
 * where screenshots go (.factum/screenshots/, git-ignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { servicesRequired } from './services.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = fileURLToPath(new URL('../../.factum/screenshots/', import.meta.url));

/** Whether Chromium is there; says why its tests skip when it is not (and throws when it must be). */
export function chromiumAvailable(what: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `Chromium is not installed at ${CHROMIUM}`;
  if (servicesRequired)
    throw new Error(`${reason} (FACTUM_REQUIRE_SERVICES=1, so this fails instead of skipping)`);
  console.warn(`[skip] ${reason}; ${what} are skipped`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
