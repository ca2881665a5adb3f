import { FirewallError } from '../core/errors.ts';

/** `--name value` flags plus positionals; unknown flags are errors so typos do not pass silently. */
export function parseArgs(argv: string[], known: string[]): { flags: Record<string, string>; positional: string[] } {
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const name = a.slice(2);
      if (!known.includes(name)) throw new FirewallError('USAGE', `unknown option --${name}`, { status: 400 });
      const v = argv[++i];
      if (v === undefined) throw new FirewallError('USAGE', `--${name} needs a value`, { status: 400 });
      flags[name] = v;
    } else positional.push(a);
  }
  return { flags, positional };
}
