import { FirewallError } from '../core/errors.ts';
import { initialiseToken } from '../adapters/signer/hsm-sim-process.ts';
import { endpointOf, hsmSimSignerOptionsFromEnv } from '../adapters/signer/hsm-sim-signer.ts';
import { describeEndpoint } from '../../hsm-sim/client/connection.ts';

/**
 * `hsm-sim init`: the first-run ceremony for a device that runs on its own (a container, a shared
 * device over TLS): the SO initialises the token and sets the user PIN. The embedded device does
 * this itself (startHsmSim). Reaches the device exactly as the gateway will (same variables), so
 * it also proves the gateway's address, TLS files and PIN before the gateway is started.
 */
export async function runHsmSimInit(env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const opts = hsmSimSignerOptionsFromEnv(env);
  const soPin = env.HSM_SIM_SO_PIN;
  if (soPin === undefined || soPin === '') throw new FirewallError('SIGNER_CONFIG_INVALID', 'HSM_SIM_SO_PIN is not set', { detail: { variable: 'HSM_SIM_SO_PIN' } });
  const endpoint = endpointOf(opts);
  const state = await initialiseToken(endpoint, { soPin, userPin: opts.userPin }, env.HSM_SIM_TOKEN_LABEL || 'analog-firewall');
  out(`hsm-sim at ${describeEndpoint(endpoint)}: ${state === 'active' ? 'token initialised, user PIN set' : state}`);
  return state === 'active' ? 0 : 1;
}
