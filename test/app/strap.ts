import type { Browser, CDPSession, Page } from 'playwright-core';

/**
 * A simulated Bluetooth LE heart-rate strap (Heart Rate Service 0x180D, Heart Rate Measurement
 * 0x2A37 with notify and its 0x2902 descriptor) through Chromium's BluetoothEmulation domain,
 * which answers only on the browser-level CDP session; the device chooser is answered on the
 * page's session (DeviceAccess). CDP cannot push a notification, so `send()` makes the page read
 * the characteristic and answers that read with the next measurement: the page's
 * characteristicvaluechanged listener (the one a real strap's notifications reach) fires with it.
 */
const uuid = (short: number) => `0000${short.toString(16).padStart(4, '0')}-0000-1000-8000-00805f9b34fb`;
export const STRAP_ADDRESS = '09:09:09:09:09:09';

/** A Heart Rate Measurement packet: flags 0x10 (uint8 rate, RR present), the rate, RR in 1/1024 s. */
export function measurement(bpm: number, rrMs: number[]): Buffer {
  const b = Buffer.alloc(2 + 2 * rrMs.length);
  b.writeUInt8(0x10, 0);
  b.writeUInt8(Math.round(bpm), 1);
  rrMs.forEach((rr, i) => b.writeUInt16LE(Math.round((rr * 1024) / 1000), 2 + 2 * i));
  return b;
}

export class EmulatedStrap {
  readonly #browserCdp: CDPSession;
  readonly #pageCdp: CDPSession;
  #characteristicId = '';
  readonly #pending: Buffer[] = [];
  /** The last deliveries: when (ms since attach) and how each ended (for a failure's message). */
  readonly #trace: string[] = [];
  readonly #since = performance.now();

  private constructor(browserCdp: CDPSession, pageCdp: CDPSession) {
    this.#browserCdp = browserCdp;
    this.#pageCdp = pageCdp;
  }

  static async attach(browser: Browser, pageCdp: CDPSession): Promise<EmulatedStrap> {
    const cdp = await browser.newBrowserCDPSession();
    const s = new EmulatedStrap(cdp, pageCdp);
    await cdp.send('BluetoothEmulation.enable', { state: 'powered-on', leSupported: true });
    cdp.on('BluetoothEmulation.gattOperationReceived', (e: { address: string; type: 'connection' | 'discovery' }) => {
      void cdp.send('BluetoothEmulation.simulateGATTOperationResponse', { address: e.address, type: e.type, code: 0 }).catch(() => undefined);
    });
    cdp.on('BluetoothEmulation.characteristicOperationReceived', (e: { characteristicId: string; type: 'read' | 'write' | 'subscribe-to-notifications' | 'unsubscribe-from-notifications' }) => {
      const data = e.type === 'read' ? (s.#pending.shift() ?? measurement(60, [])).toString('base64') : undefined;
      void cdp
        .send('BluetoothEmulation.simulateCharacteristicOperationResponse', { characteristicId: e.characteristicId, type: e.type, code: 0, ...(data === undefined ? {} : { data }) })
        .catch(() => undefined);
    });
    cdp.on('BluetoothEmulation.descriptorOperationReceived', (e: { descriptorId: string; type: 'read' | 'write' }) => {
      void cdp
        .send('BluetoothEmulation.simulateDescriptorOperationResponse', { descriptorId: e.descriptorId, type: e.type, code: 0, ...(e.type === 'read' ? { data: Buffer.from([0, 0]).toString('base64') } : {}) })
        .catch(() => undefined);
    });
    await cdp.send('BluetoothEmulation.simulatePreconnectedPeripheral', { address: STRAP_ADDRESS, name: 'Test HR strap', manufacturerData: [], knownServiceUuids: [uuid(0x180d)] });
    const { serviceId } = (await cdp.send('BluetoothEmulation.addService', { address: STRAP_ADDRESS, serviceUuid: uuid(0x180d) })) as { serviceId: string };
    const { characteristicId } = (await cdp.send('BluetoothEmulation.addCharacteristic', { serviceId, characteristicUuid: uuid(0x2a37), properties: { read: true, notify: true } })) as {
      characteristicId: string;
    };
    s.#characteristicId = characteristicId;
    await cdp.send('BluetoothEmulation.addDescriptor', { characteristicId, descriptorUuid: uuid(0x2902) });
    // The chooser: pick the strap whenever the page asks (the prompt may be announced twice).
    const answered = new Set<string>();
    await pageCdp.send('DeviceAccess.enable');
    pageCdp.on('DeviceAccess.deviceRequestPrompted', (e: { id: string; devices: { id: string; name: string }[] }) => {
      const d = e.devices[0];
      if (!d || answered.has(e.id)) return;
      answered.add(e.id);
      void pageCdp.send('DeviceAccess.selectPrompt', { id: e.id, deviceId: d.id }).catch(() => undefined);
    });
    return s;
  }

  /**
   * Delivers one measurement to the page, through a read of the characteristic the page subscribed
   * to, looked up afresh each time: the device's characteristic as it is now, the one object the
   * page listens on. A handle kept from an earlier connection must not be used: after the page
   * reconnected, a read on it still succeeds, but the value event reaches only that old object, so
   * the page hears nothing and ends signing with a stopped sensor (seen: every read "ok", the page
   * "A sensor stopped sending readings"). Bounded: a read the browser never answers fails the
   * delivery instead of stalling the feed.
   */
  async send(page: Page, packet: Buffer): Promise<void> {
    this.#pending.push(packet);
    const at = Math.round(performance.now() - this.#since);
    const read = page.evaluate(async () => {
      const nav = (globalThis as unknown as { navigator: { bluetooth: { getDevices(): Promise<{ gatt: { getPrimaryService(s: number): Promise<{ getCharacteristic(c: number): Promise<{ readValue(): Promise<unknown> }> }> } }[]> } } }).navigator;
      const [d] = await nav.bluetooth.getDevices();
      await (await (await d!.gatt.getPrimaryService(0x180d)).getCharacteristic(0x2a37)).readValue();
    });
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the read was not answered within 5 s')), 5000)));
    try {
      await Promise.race([read, stalled]);
      this.#note(`${at} ok ${Math.round(performance.now() - this.#since) - at}ms`);
    } catch (e) {
      this.#note(`${at} failed: ${String((e as Error).message ?? e).slice(0, 80)}`);
      const left = this.#pending.indexOf(packet);
      if (left >= 0) this.#pending.splice(left, 1);
      throw e;
    } finally {
      clearTimeout(timer);
      read.catch(() => undefined);
    }
  }

  #note(line: string): void {
    this.#trace.push(line);
    if (this.#trace.length > 40) this.#trace.shift();
  }

  /** The last deliveries, oldest first (for a failure's message). */
  trace(): readonly string[] {
    return [...this.#trace];
  }

  async disconnect(): Promise<void> {
    await this.#browserCdp.send('BluetoothEmulation.simulateGATTDisconnection', { address: STRAP_ADDRESS });
  }

  get characteristicId(): string {
    return this.#characteristicId;
  }

  async close(): Promise<void> {
    await this.#browserCdp.send('BluetoothEmulation.disable').catch(() => undefined);
    await this.#pageCdp.detach().catch(() => undefined);
    await this.#browserCdp.detach().catch(() => undefined);
  }
}
