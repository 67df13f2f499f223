import { strict as assert } from 'node:assert';
import { SerialPortMock } from 'serialport';
import { TargetError } from '../../rig/errors.ts';
import type { AttachedPort, LabBoard } from '../../rig/hardware/inventory.ts';
import { openBoardSerial, resetBoard, waitForBoardPort } from '../../rig/hardware/serial.ts';
import { profile, recordingBinding } from './helpers.ts';

describe('hardware: serial', () => {
  beforeEach(() => SerialPortMock.binding.reset());
  afterEach(() => SerialPortMock.binding.reset());

  it('opens, then resets an ESP with RTS pulse (dtr false, rts true → false), keeping the boot output', async () => {
    SerialPortMock.binding.createPort('/dev/ttyUSB0', { vendorId: '10c4', productId: 'ea60' });
    const rec = recordingBinding();
    const hw = (await profile('esp32')).hardware!;
    const cap = await openBoardSerial({ path: '/dev/ttyUSB0', hardware: hw, binding: rec.binding });
    try {
      rec.port('/dev/ttyUSB0')!.emitData('stale output from the previous cell\r\n');
      await cap.waitFor(/stale/, 2_000);
      assert.equal(await resetBoard(cap, hw, { pulseMs: 20 }), 'reset');
      assert.deepEqual(rec.sets, [
        { path: '/dev/ttyUSB0', dtr: false, rts: true },
        { path: '/dev/ttyUSB0', dtr: false, rts: false },
      ]);
      assert.deepEqual(cap.lines(), [], 'reset starts a clean buffer');
      rec
        .port('/dev/ttyUSB0')!
        .emitData('rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\nRIG: connected\r\n');
      assert.equal(await cap.waitFor(/^RIG: connected$/, 2_000), 'RIG: connected');
      assert.match(cap.lines()[0], /^rst:0x1 \(POWERON_RESET\)/);
    } finally {
      await cap.close();
    }
  });

  it('treats ENOTTY from set() as "reset unsupported", not an error', async () => {
    SerialPortMock.binding.createPort('/dev/ttyUSB0');
    const rec = recordingBinding();
    rec.noModemLines = true;
    const hw = (await profile('esp8266')).hardware!;
    const cap = await openBoardSerial({ path: '/dev/ttyUSB0', hardware: hw, binding: rec.binding });
    try {
      assert.equal(await resetBoard(cap, hw, { pulseMs: 1 }), 'unsupported');
      assert.equal(rec.sets.length, 1, 'gave up after the first failed set()');
    } finally {
      await cap.close();
    }
  });

  it('does not pulse DTR/RTS on a MKR1000 (its reset is the upload)', async () => {
    SerialPortMock.binding.createPort('/dev/ttyACM0');
    const rec = recordingBinding();
    const hw = (await profile('mkr1000')).hardware!;
    const cap = await openBoardSerial({ path: '/dev/ttyACM0', hardware: hw, binding: rec.binding });
    try {
      assert.equal(await resetBoard(cap, hw), 'not-needed');
      assert.deepEqual(rec.sets, []);
    } finally {
      await cap.close();
    }
  });

  it('survives ESP8266 boot ROM garbage at 74880 baud (invalid UTF-8) and still matches later lines', async () => {
    SerialPortMock.binding.createPort('/dev/ttyUSB1');
    const rec = recordingBinding();
    const hw = (await profile('esp8266')).hardware!;
    assert.equal(hw.baud, 115200);
    const cap = await openBoardSerial({ path: '/dev/ttyUSB1', hardware: hw, binding: rec.binding });
    try {
      // What 74880-baud ROM output looks like read at 115200: bytes that are not UTF-8, NULs, no newline structure.
      rec
        .port('/dev/ttyUSB1')!
        .emitData(Buffer.from([0x00, 0xe0, 0x80, 0xff, 0xfe, 0x8c, 0x0a, 0xc3, 0x28, 0x1b, 0x9f, 0x0d, 0x0a]));
      rec.port('/dev/ttyUSB1')!.emitData('SSL error: Expected server name was not found in the chain.\r\n');
      const line = await cap.waitFor(/Expected server name/, 2_000);
      assert.equal(line, 'SSL error: Expected server name was not found in the chain.');
      assert.equal(cap.lines().length, 3);
      assert.ok(cap.lines()[0].includes('\uFFFD'), 'garbage kept, made printable');
    } finally {
      await cap.close();
    }
  });

  it('reports a port that vanishes mid-run through `ended` (an error, not a crash)', async () => {
    SerialPortMock.binding.createPort('/dev/ttyUSB0');
    const rec = recordingBinding();
    const hw = (await profile('esp32')).hardware!;
    const cap = await openBoardSerial({ path: '/dev/ttyUSB0', hardware: hw, binding: rec.binding });
    rec.port('/dev/ttyUSB0')!.emitData('WiFi connected\r\n');
    await cap.waitFor(/WiFi connected/, 2_000);
    rec.vanish('/dev/ttyUSB0');
    const err = await cap.ended;
    assert.ok(err instanceof Error);
    assert.match(err.message, /Input\/output error/);
    assert.deepEqual(cap.lines(), ['WiFi connected'], 'what was read is kept');
    await cap.close(); // closing a vanished port is harmless
  });

  it('classifies an open failure as a TargetError', async () => {
    const hw = (await profile('esp32')).hardware!;
    await assert.rejects(
      openBoardSerial({ path: '/dev/ttyUSB7', hardware: hw, binding: recordingBinding().binding }),
      (e: unknown) =>
        e instanceof TargetError &&
        e.kind === 'no-board' &&
        /cannot open \/dev\/ttyUSB7: Port does not exist/.test(e.message),
    );
    SerialPortMock.binding.createPort('/dev/ttyUSB0');
    const first = await openBoardSerial({ path: '/dev/ttyUSB0', hardware: hw, binding: SerialPortMock.binding });
    try {
      await assert.rejects(
        openBoardSerial({ path: '/dev/ttyUSB0', hardware: hw, binding: SerialPortMock.binding }),
        (e: unknown) => e instanceof TargetError && e.kind === 'port-busy',
      );
    } finally {
      await first.close();
    }
  });

  it('finds a MKR1000 again by serial number after it re-enumerates under another tty (bounded poll)', async () => {
    const board: LabBoard = { name: 'mkr-1', profile: 'mkr1000', serial: '5A3C4E1F', fixtures: [] };
    const sequence: AttachedPort[][] = [
      [], // gone while the bootloader runs bossac
      [{ path: '/dev/ttyACM0', vid: '2341', pid: '004e', serialNumber: '5A3C4E1F', sources: ['serialport'] }], // bootloader identity
      [{ path: '/dev/ttyACM1', vid: '2341', pid: '804e', serialNumber: '5A3C4E1F', sources: ['serialport'] }], // the sketch
    ];
    let calls = 0;
    const list = async (): Promise<AttachedPort[]> => sequence[Math.min(calls++, sequence.length - 1)];
    const hw = (await profile('mkr1000')).hardware!;
    const port = await waitForBoardPort(board, { list, usb: hw.usb, timeoutMs: 10_000, intervalMs: 5 });
    assert.equal(port.path, '/dev/ttyACM1');
    assert.equal(calls, 3);
  });

  it('gives up with a no-board TargetError listing what is attached', async () => {
    const board: LabBoard = { name: 'mkr-1', profile: 'mkr1000', serial: '5A3C4E1F', fixtures: [] };
    const list = async (): Promise<AttachedPort[]> => [
      { path: '/dev/ttyUSB0', vid: '10c4', pid: 'ea60', serialNumber: '0001', sources: ['serialport'] },
    ];
    await assert.rejects(
      waitForBoardPort(board, { list, timeoutMs: 30, intervalMs: 5 }),
      (e: unknown) =>
        e instanceof TargetError &&
        e.kind === 'no-board' &&
        /did not come back within 30 ms; attached: \/dev\/ttyUSB0 10c4:ea60 sn=0001/.test(e.message),
    );
  });
});
