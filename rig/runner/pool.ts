// A counting semaphore: at most N cells run at once; a named lock keeps one cell per physical board.

export class Pool {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(readonly size: number) {
    if (size < 1) throw new Error('pool size must be at least 1');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
