import { randomBytes } from 'node:crypto';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { createCredential, getAssertion } from '../../clients/device/authenticator/software-authenticator.ts';

/** The software authenticator's output verifies with an independent WebAuthn implementation. */
describe('software WebAuthn authenticator', () => {
  for (const alg of [-8, -7] as const) {
    for (const attestation of ['packed', 'none'] as const) {
      it(`alg ${alg}, ${attestation} attestation: registration and two assertions verify, counters increase`, async () => {
        const origin = 'https://gateway.example';
        const challenge = randomBytes(32).toString('base64url');
        const { credential, stored } = createCredential({ rpId: 'gateway.example', origin, challenge, person: 'p', alg, attestation });
        const reg = await verifyRegistrationResponse({ response: credential as never, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: 'gateway.example', supportedAlgorithmIDs: [-8, -7] });
        expect(reg.verified).toBe(true);
        expect(reg.registrationInfo!.fmt).toBe(attestation);
        expect(reg.registrationInfo!.credential.id).toBe(stored.id);
        let counter = 0;
        for (let i = 0; i < 2; i++) {
          const c = randomBytes(32).toString('base64url');
          const a = getAssertion(stored, { challenge: c, origin });
          const out = await verifyAuthenticationResponse({
            response: a as never,
            expectedChallenge: c,
            expectedOrigin: origin,
            expectedRPID: 'gateway.example',
            credential: { id: stored.id, publicKey: reg.registrationInfo!.credential.publicKey, counter },
          });
          expect(out.verified).toBe(true);
          expect(out.authenticationInfo.newCounter).toBe(counter + 1);
          expect(out.authenticationInfo.userVerified).toBe(true);
          counter = out.authenticationInfo.newCounter;
        }
        // A signature over another challenge does not verify.
        const a = getAssertion(stored, { challenge: randomBytes(32).toString('base64url'), origin });
        await expect(
          verifyAuthenticationResponse({ response: a as never, expectedChallenge: 'x', expectedOrigin: origin, expectedRPID: 'gateway.example', credential: { id: stored.id, publicKey: reg.registrationInfo!.credential.publicKey, counter } }),
        ).rejects.toThrow(/challenge/);
      });
    }
  }
});
