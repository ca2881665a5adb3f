/**
 * The phone refuses to sign: what differs (shown to the person; nothing was signed). On its own,
 * without the hashing code of statements.ts, so the screens' shared parts can recognise it without
 * pulling that code into what the inbox loads.
 */
export class DeviceRefusal extends Error {
  readonly code = 'DEVICE_REFUSED';
}
