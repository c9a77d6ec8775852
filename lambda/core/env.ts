// How the configuration modules (config.ts, portal-config.ts, session-config.ts) read environment
// variables: comma-separated lists and on/off switches, each spelled one way for every variable.

export type Env = Readonly<Record<string, string | undefined>>;

/** A comma-separated list, items trimmed, empty items dropped. */
export const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** An on/off switch, off when unset or empty; anything else is a problem (and reads as off). */
export function isOn(env: Env, name: string, problems: string[]): boolean {
  const mode = (env[name] ?? 'off').trim().toLowerCase();
  if (mode !== 'on' && mode !== 'off' && mode !== '') problems.push(`${name} must be "on" or "off", got "${env[name]}"`);
  return mode === 'on';
}
