// The DOM lib is not loaded (this is a Node project); JsonWebKey is node:crypto's, made global
// so that interfaces shared by the gateway, hsm-sim and the clients can name it plainly.
declare global {
  type JsonWebKey = import('node:crypto').JsonWebKey;
}
export {};
