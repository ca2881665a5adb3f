/**
 * Device log lines (pino, JSON on stderr). Call sites pass event names, codes, labels and counts
 * only; the redact list is a second line of defence should a PIN or secret ever be passed in.
 */
import { pino, type Logger } from 'pino';

export type DeviceLog = Pick<Logger, 'info' | 'warn' | 'error' | 'debug' | 'fatal'>;

export function createDeviceLog(level: string): DeviceLog {
  return pino(
    {
      name: 'hsm-sim',
      level,
      redact: { paths: ['pin', 'soPin', 'newPin', '*.pin', '*.soPin', 'masterSecret', '*.masterSecret', 'privateKey', '*.privateKey'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
