import { join } from 'node:path';
import type { Sealer } from '../core/sealer.ts';
import type { Signer } from '../core/signer.ts';
import type { Logger } from 'pino';
import { HsmSimSupervisor } from '../adapters/signer/hsm-sim-supervisor.ts';
import { HsmSimSigner, hsmSimSignerOptionsFromEnv } from '../adapters/signer/hsm-sim-signer.ts';
import { createPkcs11Signer } from '../adapters/signer/pkcs11-signer.ts';
import { pkcs11SignerOptionsFromEnv } from '../adapters/signer/pkcs11-options.ts';
import type { GatewayConfig } from '../gateway/config.ts';

export interface OpenedSigner {
  signer: Signer;
  /** The same device's sealing key (challenge nonces). */
  sealer: Sealer;
  /** The supervised hsm-sim child, when the gateway started one. */
  device?: HsmSimSupervisor;
  /** HSM audit head, for copying into the transparency log (hsm-sim only). */
  auditHead?: () => Promise<unknown>;
  close(): Promise<void>;
}

/** Opens the configured signing backend. The gateway process never holds a private key. */
export async function openSigner(config: GatewayConfig, env: NodeJS.ProcessEnv, log: Logger): Promise<OpenedSigner> {
  if (config.signer.backend === 'pkcs11') {
    const signer = await createPkcs11Signer(pkcs11SignerOptionsFromEnv(env));
    return { signer, sealer: signer.sealer(), close: () => signer.close() };
  }
  let device: HsmSimSupervisor | undefined;
  let signer: HsmSimSigner;
  if (config.signer.external) {
    signer = new HsmSimSigner(hsmSimSignerOptionsFromEnv(env));
  } else {
    // Embedded defaults: hsm-sim as a child process, its secrets generated into DATA_DIR (mode 0600),
    // restarted if it dies (tamper excepted).
    device = await HsmSimSupervisor.start({ dataDir: join(config.dataDir, 'hsm-sim'), onLog: (line) => process.stderr.write(line + '\n') }, log);
    signer = new HsmSimSigner({ endpoint: device.endpoint, userPin: device.userPin });
  }
  try {
    await signer.ensureKeys();
  } catch (e) {
    // A zeroized or unusable device stops start-up; do not leave its process behind.
    await signer.close();
    await device?.stop();
    throw e;
  }
  return {
    signer,
    sealer: signer.sealer(),
    ...(device === undefined ? {} : { device }),
    auditHead: () => signer.auditHead(),
    async close() {
      await signer.close();
      await device?.stop();
    },
  };
}
