import { EXAMPLE_ACTUATORS } from '../../src/cli/example-actuators.ts';
import { freePort } from './free-port.ts';

/** Every EXAMPLE_*_PORT variable of embedded defaults, from the list `npm start` reads. */
export const EXAMPLE_PORT_VARIABLES = EXAMPLE_ACTUATORS.map((a) => a.variable);

/**
 * A free port for each example service of embedded defaults: the one place tests choose them, so
 * that no test that starts a gateway on embedded defaults leaves one at its fixed default port,
 * where another test file (or a gateway the developer runs) may already listen.
 */
export async function examplePortsEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const variable of EXAMPLE_PORT_VARIABLES) env[variable] = String(await freePort());
  return env;
}
