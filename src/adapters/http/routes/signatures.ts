import express, { type Request, type Response, type Router } from 'express';
import { FirewallError } from '../../../core/errors.ts';
import { validateMessage, type AuthenticationResponse, type RegistrationResponse } from '../../../core/signature/messages.ts';
import type { Modality } from '../../../core/policy/modality.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import type { SignatureService } from '../../../gateway/signatures/service.ts';
import type { DeviceKind } from '../../../gateway/ports/signatures.ts';
import { personTopic } from '../../../gateway/signatures/views.ts';
import { authenticateRequest, principalOf } from '../authenticate-request.ts';

const param = (req: Request, name: string): string => {
  const v = String(req.params[name] ?? '');
  if (v.length === 0 || v.length > 200) throw new FirewallError('PATH_INVALID', `path parameter '${name}' must be 1-200 characters`, { status: 400 });
  return v;
};

/**
 * People, their devices (WebAuthn passkeys) and their signature challenges (docs/protocol.md).
 * Every route takes the person's own client assertion (erasure and unlock: an administrator's);
 * agents are refused (403). The live session
 * itself is a WebSocket on /v1/challenges/{id}/session (adapters/http/challenge-socket.ts).
 */
export function signaturesRouter(ctx: GatewayContext, service: SignatureService): Router {
  const r = express.Router();
  const auth = authenticateRequest(ctx);
  const json = express.json({ limit: 256 * 1024, strict: true, type: () => true });
  const body = <T>(req: Request, schema: string): T => validateMessage<T>(schema, req.body ?? {});

  r.put('/v1/people/:id', auth, json, async (req: Request, res: Response) => {
    const b = body<{ modalities: Modality[]; displayName?: string }>(req, 'person-declaration.json');
    res.json(await service.declarePerson(principalOf(res), param(req, 'id'), b));
  });

  r.get('/v1/people/:id', auth, async (req: Request, res: Response) => {
    res.json(await service.personOf(principalOf(res), param(req, 'id')));
  });

  // Erasure (role admin): GDPR art. 17 / BIPA destruction; docs/privacy.md.
  r.delete('/v1/people/:id', auth, async (req: Request, res: Response) => {
    res.json(await service.erasePerson(principalOf(res), param(req, 'id')));
  });

  r.post('/v1/people/:id/devices/registration-options', auth, json, async (req: Request, res: Response) => {
    const b = body<{ kind: DeviceKind; name?: string }>(req, 'registration-options-request.json');
    res.set('Cache-Control', 'no-store').json(await service.registrationOptions(principalOf(res), param(req, 'id'), b));
  });

  r.post('/v1/people/:id/devices', auth, json, async (req: Request, res: Response) => {
    const b = body<{ ceremonyId: string; credential: RegistrationResponse }>(req, 'device-registration.json');
    const d = await service.registerDevice(principalOf(res), param(req, 'id'), b);
    res.status(201).location(`/v1/devices/${String(d['id'])}`).json(d);
  });

  r.get('/v1/people/:id/challenges', auth, async (req: Request, res: Response) => {
    res.json({ challenges: await service.challengesOf(principalOf(res), param(req, 'id')) });
  });

  r.post('/v1/people/:id/challenges', auth, json, async (req: Request, res: Response) => {
    const b = body<{ actionId: string }>(req, 'challenge-request.json');
    res.status(201).json(await service.requestChallenge(principalOf(res), param(req, 'id'), b.actionId));
  });

  r.post('/v1/people/:id/challenges/next', auth, async (req: Request, res: Response) => {
    res.json(await service.nextChallenge(principalOf(res), param(req, 'id')));
  });

  r.post('/v1/people/:id/enrolment-sessions', auth, json, async (req: Request, res: Response) => {
    const b = body<{ modalities: Modality[]; durationMs?: number }>(req, 'enrolment-session-request.json');
    res.status(201).json(await service.enrolmentSession(principalOf(res), param(req, 'id'), b));
  });

  r.get('/v1/people/:id/events', auth, async (req: Request, res: Response) => {
    const id = param(req, 'id');
    await service.personOf(principalOf(res), id); // self only (throws otherwise)
    ctx.hub.subscribe(personTopic(id), req, res);
  });

  r.post('/v1/people/:id/unlock', auth, async (req: Request, res: Response) => {
    res.json(await service.unlock(principalOf(res), param(req, 'id')));
  });

  r.get('/v1/devices/:id', auth, async (req: Request, res: Response) => {
    res.json(await service.deviceOf(principalOf(res), param(req, 'id')));
  });

  r.delete('/v1/devices/:id', auth, async (req: Request, res: Response) => {
    res.json(await service.revokeDevice(principalOf(res), param(req, 'id')));
  });

  r.post('/v1/devices/:id/authentication-options', auth, async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').json(await service.authenticationOptions(principalOf(res), param(req, 'id')));
  });

  r.post('/v1/devices/:id/authentication', auth, json, async (req: Request, res: Response) => {
    const b = body<{ ceremonyId: string; credential: AuthenticationResponse }>(req, 'device-authentication.json');
    res.json(await service.authenticateDevice(principalOf(res), param(req, 'id'), b));
  });

  r.get('/v1/challenges/:id', auth, async (req: Request, res: Response) => {
    res.json(await service.challengeFor(principalOf(res), param(req, 'id')));
  });

  // The session is a WebSocket: the upgrade is handled on the server (challenge-socket.ts) before
  // express sees it; a plain GET gets this explanation.
  r.get('/v1/challenges/:id/session', (_req: Request, _res: Response) => {
    throw new FirewallError('UPGRADE_REQUIRED', 'this is a WebSocket endpoint: send an Upgrade: websocket request (docs/protocol.md)', { status: 426 });
  });

  r.post('/v1/challenges/:id/witness/options', auth, json, async (req: Request, res: Response) => {
    const b = body<{ credentialId: string }>(req, 'witness-options-request.json');
    res.set('Cache-Control', 'no-store').json(await service.witnessOptions(principalOf(res), param(req, 'id'), b));
  });

  r.post('/v1/challenges/:id/witness', auth, json, async (req: Request, res: Response) => {
    const b = body<{ credential: AuthenticationResponse }>(req, 'witness-assertion.json');
    res.json(await service.witnessComplete(principalOf(res), param(req, 'id'), b));
  });

  return r;
}
