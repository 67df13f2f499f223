// Reads a serial port line by line into a bounded rolling buffer that expectations match against.
// The same code reads a twin's pseudo-terminal, a USB board, and serialport's MockBinding.
import { SerialPort } from 'serialport';
import { SerialPortStream } from '@serialport/stream';
import { LineBuffer, LineSplitter } from './line-buffer.ts';

/** Opaque serialport binding (MockBinding in tests); typed loosely because bindings differ per package. */
export type SerialBinding = ConstructorParameters<typeof SerialPortStream>[0]['binding'];

export interface SerialCaptureOptions {
  path: string;
  baudRate: number;
  binding?: SerialBinding;
  /** Most lines kept; older ones are dropped (their count is kept) so a chatty board cannot exhaust memory. */
  maxLines?: number;
}

export class SerialCapture {
  readonly path: string;
  readonly ended: Promise<Error | undefined>;
  private readonly port: SerialPortStream;
  private readonly buffer: LineBuffer;
  private readonly splitter: LineSplitter;
  private closing = false;

  private constructor(port: SerialPortStream, opts: SerialCaptureOptions) {
    this.path = opts.path;
    this.port = port;
    this.buffer = new LineBuffer(opts.maxLines ?? 20_000);
    // '\n' and trimming '\r' copes with both println ("\r\n") and bare "\n" output. A line is cut at
    // MAX_LINE_CHARS as it arrives (a board printing megabytes without a newline holds 4 KiB, not all of it).
    this.splitter = new LineSplitter((line) => this.buffer.push(sanitize(line)));
    port.on('data', (chunk: Buffer) => this.splitter.push(chunk));
    port.on('close', () => this.splitter.flush());
    this.ended = new Promise((resolve) => {
      let error: Error | undefined;
      port.on('error', (e: Error) => {
        error = e;
      });
      port.on('close', (e?: Error & { disconnected?: boolean }) => {
        const vanished = e ?? error;
        resolve(this.closing ? undefined : (vanished ?? new Error(`serial port ${this.path} closed`)));
      });
    });
  }

  static async open(opts: SerialCaptureOptions): Promise<SerialCapture> {
    const port = opts.binding
      ? new SerialPortStream({ path: opts.path, baudRate: opts.baudRate, binding: opts.binding, autoOpen: false })
      : new SerialPort({ path: opts.path, baudRate: opts.baudRate, autoOpen: false, hupcl: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new SerialCapture(port, opts);
  }

  lines(): string[] {
    return this.buffer.lines();
  }
  /** Lines dropped from the front of the buffer because of maxLines (or its character bound). */
  dropped(): number {
    return this.buffer.dropped;
  }
  /** Lines cut at MAX_LINE_CHARS. */
  cut(): number {
    return this.splitter.cut;
  }
  onLine(cb: (line: string) => void): () => void {
    return this.buffer.onLine(cb);
  }
  waitFor(re: RegExp, timeoutMs: number): Promise<string> {
    return this.buffer.waitFor(re, timeoutMs);
  }
  /** Forget everything read so far: called at each reset so no earlier output satisfies a later check. */
  clear(): void {
    this.buffer.clear();
  }

  write(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.port.write(text, (err) => (err ? reject(err) : resolve())));
  }

  /** Drives DTR and RTS together (serialport merges partial sets with defaults). False when the port has no modem lines (a pty). */
  async setSignals(s: { dtr: boolean; rts: boolean }): Promise<boolean> {
    try {
      await new Promise<void>((resolve, reject) =>
        this.port.set({ dtr: s.dtr, rts: s.rts }, (err) => (err ? reject(err) : resolve())),
      );
      return true;
    } catch (e) {
      if (/Inappropriate ioctl|ENOTTY|EINVAL/.test((e as Error).message)) return false;
      throw e;
    }
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    this.closing = true;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

/** Serial garbage (wrong baud, ROM at 74880) must not break matching or reports: keep printable text. */
function sanitize(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\r$/, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '\uFFFD');
}
