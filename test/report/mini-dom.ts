// A deliberately tiny DOM, just enough to run report.html's page script under node:vm and inspect
// what it built. No HTML parsing exists here: only textContent can put text in, which is the point.
export class MiniNode {
  children: MiniNode[] = [];
  parent: MiniNode | undefined;
  className = '';
  hidden = false;
  title = '';
  colSpan = 1;
  value = '';
  checked = false;
  id = '';
  attrs: Record<string, string> = {};
  listeners: Record<string, (() => void)[]> = {};
  private ownText = '';
  constructor(readonly tagName: string) {}
  get textContent(): string {
    return this.tagName === '#text' ? this.ownText : this.ownText + this.children.map((c) => c.textContent).join('');
  }
  set textContent(v: string) {
    this.children = [];
    this.ownText = String(v);
  }
  appendChild(c: MiniNode): MiniNode {
    if (c.tagName === '#fragment') {
      for (const k of c.children) this.appendChild(k);
      c.children = [];
      return c;
    }
    c.parent?.removeChild(c);
    c.parent = this;
    this.children.push(c);
    return c;
  }
  removeChild(c: MiniNode): void {
    this.children = this.children.filter((x) => x !== c);
    c.parent = undefined;
  }
  remove(): void {
    this.parent?.removeChild(this);
  }
  after(n: MiniNode): void {
    const p = this.parent;
    if (!p) return;
    n.parent?.removeChild(n);
    p.children.splice(p.children.indexOf(this) + 1, 0, n);
    n.parent = p;
  }
  setAttribute(k: string, v: string): void {
    this.attrs[k] = v;
  }
  addEventListener(type: string, fn: () => void): void {
    (this.listeners[type] ??= []).push(fn);
  }
  dispatch(type: string): void {
    for (const fn of this.listeners[type] ?? []) fn();
  }
  scrollIntoView(): void {}
  get dataset(): Record<string, string> {
    return this.attrs;
  }
  all(): MiniNode[] {
    return [this, ...this.children.flatMap((c) => c.all())];
  }
}

export function miniDocument(ids: Record<string, MiniNode>, checkboxes: MiniNode[]): Record<string, unknown> {
  return {
    getElementById: (id: string) => ids[id] ?? null,
    querySelectorAll: () => checkboxes,
    createElement: (t: string) => new MiniNode(t),
    createDocumentFragment: () => new MiniNode('#fragment'),
    createTextNode: (t: string) => {
      const n = new MiniNode('#text');
      n.textContent = t;
      return n;
    },
  };
}
