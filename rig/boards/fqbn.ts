// FQBN menu options ("esp32:esp32:esp32:DebugLevel=info", "esp8266:esp8266:nodemcuv2:dbg=Serial,lvl=SSL"): parsed,
// merged in the order arduino-cli would see them, and turned into what the twin build needs through the board
// profile's `twin.menus` table (boards.txt's build.code_debug / build.debug_port / build.debug_level, as data).
import type { BoardProfile, TwinProfile } from './profile.ts';

export type FqbnOptions = Record<string, string>;

/** vendor:arch:board and the menu options after it. */
export function parseFqbn(fqbn: string): { base: string; options: FqbnOptions } {
  const parts = fqbn.split(':');
  const options: FqbnOptions = {};
  for (const kv of (parts.slice(3).join(':') || '').split(',').filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq > 0) options[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { base: parts.slice(0, 3).join(':'), options };
}

/** The FQBN with options merged in: later layers win, option order as first seen (arduino-cli keeps it). */
export function withOptions(fqbn: string, ...layers: (FqbnOptions | undefined)[]): string {
  const { base, options } = parseFqbn(fqbn);
  const merged = mergeOptions(options, ...layers);
  const text = Object.entries(merged)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return text ? `${base}:${text}` : base;
}

export function mergeOptions(...layers: (FqbnOptions | undefined)[]): FqbnOptions {
  const out: FqbnOptions = {};
  for (const l of layers) for (const [k, v] of Object.entries(l ?? {})) out[k] = v;
  return out;
}

export interface MenuEffects {
  /** Core Debug Level from a menu (ESP32 DebugLevel), else the profile's twin.debugLevel. */
  debugLevel: number;
  /** -D the chosen menu values add, in menu order. */
  defines: string[];
}

/** What options do to a twin build; throws MenuError for a menu or value the profile does not know. */
/** The part of a twin profile that reads FQBN menus. */
export type TwinMenus = Pick<TwinProfile, 'menus' | 'ignoredMenus' | 'debugLevel'>;

export function menuEffects(twin: TwinMenus, options: FqbnOptions, boardId: string): MenuEffects {
  const problems = menuProblems(twin, options, boardId);
  if (problems.length) throw new MenuError(problems.join('; '));
  let debugLevel = twin.debugLevel;
  const defines: string[] = [];
  for (const [menu, value] of Object.entries(options)) {
    const effect = twin.menus[menu]?.[value];
    if (!effect) continue; // an ignored menu
    defines.push(...effect.defines);
    if (effect.debugLevel !== undefined) debugLevel = effect.debugLevel;
  }
  return { debugLevel, defines };
}

/** Why options cannot reach a twin: an unknown menu, or a value the menu does not have (with the ones it has). */
export function menuProblems(twin: TwinMenus, options: FqbnOptions, boardId: string): string[] {
  const out: string[] = [];
  for (const [menu, value] of Object.entries(options)) {
    const values = twin.menus[menu];
    if (values) {
      if (!values[value])
        out.push(`the ${boardId} menu ${menu} has no value "${value}" (have: ${Object.keys(values).join(', ')})`);
    } else if (!twin.ignoredMenus.includes(menu)) {
      const known = [...Object.keys(twin.menus), ...twin.ignoredMenus];
      out.push(`the ${boardId} twin does not know the FQBN menu "${menu}" (it knows: ${known.join(', ') || 'none'})`);
    }
  }
  return out;
}

/** The options a board builds with before any scenario says more: its profile's own FQBN (hardware.fqbn). */
export function profileOptions(board: BoardProfile): FqbnOptions {
  return board.hardware ? parseFqbn(board.hardware.fqbn).options : {};
}

export class MenuError extends Error {
  override readonly name = 'MenuError';
}
