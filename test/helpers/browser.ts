// Debian's Chromium, headless, through playwright-core: for tests that look at report pages as a person would.
// No browser download (playwright's own builds cannot be fetched here); absent Chromium means a printed skip.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.RIG_CHROMIUM ?? '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh headless Chromium with its own profile folder, or the reason there is none. */
export async function launchChromium(): Promise<Browser | string> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (Debian package chromium; \`rig setup --test\`)`;
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'rig-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    return {
      context,
      close: async () => {
        await context.close().catch(() => undefined);
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    return `Chromium at ${CHROMIUM} did not start: ${(e as Error).message.split('\n')[0]}`;
  }
}
