// What a verbatim mosquitto.conf (a stranger's file) may not say, checked when the scenario loads (`rig check`)
// and again when the conf is rendered: a line that loads code into the broker, writes where it likes, or
// connects the broker to other hosts. Lines the rig maps or comments out (persistence_location, pid_file,
// log_dest file, include_dir, user) are not refused: what they do in the run never leaves the broker's folder.

/** `plugin`, `auth_plugin`, `plugin_load`, `global_plugin` and any other `*_plugin` option load a shared object. */
const LOADS_CODE = /^(?:plugin|plugin_load|[a-z0-9_]*_plugin)$/;

/** Why the rig refuses this conf line, or undefined when it may run. */
export function unsafeConfLine(line: string): string | undefined {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_.]*)(?:\s+(.*))?$/.exec(line);
  if (!m || line.trim().startsWith('#')) return undefined;
  const key = m[1]!.toLowerCase();
  const value = (m[2] ?? '').trim();
  if (LOADS_CODE.test(key)) return 'loads a shared object into the broker';
  if (key === 'persistence_file' && /[/\\]|^\.\.?$/.test(value))
    return "writes outside the broker's folder (give a file name, not a path)";
  if (key === 'address' || key === 'addresses') return 'connects the broker to another host (a bridge)';
  return undefined;
}

/** Every refused line of a conf: 1-based line number, the line, why. */
export function unsafeConfLines(conf: string): { line: number; text: string; why: string }[] {
  return conf.split('\n').flatMap((text, i) => {
    const why = unsafeConfLine(text.replace(/\r$/, ''));
    return why ? [{ line: i + 1, text: text.trim(), why }] : [];
  });
}
