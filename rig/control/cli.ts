// Control `mosquitto-cli`: mosquitto_sub waits for one message, mosquitto_pub sends it. Both run with -d so
// the OpenSSL reason is printed. The CLI cannot cap the TLS version (--tls-version is a minimum in
// libmosquitto 2.0), so a maximum is set through an OpenSSL config file (MaxProtocol), which libssl reads.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownedTempDir, runProgram, startProgram, type RunningProgram } from '../process/index.ts';
import type { Outcome } from '../results/schema.ts';
import { classifyCliOutput, classifyVerifyError } from './classify.ts';
import { defaultTopic, usesTls, type ControlClient, type ControlOptions } from './types.ts';

const SYSTEM_CAPATH = '/etc/ssl/certs';

function commonArgs(c: ControlClient, clientId: string): string[] {
  const a = ['-h', c.host, '-p', String(c.port), '-i', clientId, '-q', '1', '-d'];
  if (usesTls(c)) {
    // libmosquitto enables TLS only when it has trust configured: no CA means the system store.
    a.push(...(c.ca ? ['--cafile', c.ca] : ['--capath', SYSTEM_CAPATH]));
    if (c.cert) a.push('--cert', c.cert);
    if (c.key) a.push('--key', c.key);
    if (c.insecure) a.push('--insecure');
  }
  if (c.username !== undefined) a.push('-u', c.username);
  // The password never goes on the command line (ps shows it to every user): see passwordConfig.
  return a;
}

/**
 * mosquitto_sub and mosquitto_pub read default options from $XDG_CONFIG_HOME/<tool>, one "-option value" per line
 * (mosquitto-2.0 client/client_shared.c, client_config_load; man mosquitto_sub): the password goes there, in a
 * 0600 file of an owned temp folder (rig/process), instead of on argv.
 */
function passwordConfig(dir: string, c: ControlClient): Record<string, string> {
  // Always this folder, so a user's own ~/.config/mosquitto_sub cannot add options either.
  if (c.password === undefined) return { XDG_CONFIG_HOME: dir };
  for (const tool of ['mosquitto_sub', 'mosquitto_pub'])
    writeFileSync(join(dir, tool), `-P ${c.password}\n`, { mode: 0o600 });
  return { XDG_CONFIG_HOME: dir };
}

function maxTls12Conf(dir: string): string {
  const f = join(dir, 'openssl-max-tls12.cnf');
  writeFileSync(
    f,
    [
      'openssl_conf = rig_conf',
      '[rig_conf]',
      'ssl_conf = rig_ssl',
      '[rig_ssl]',
      'system_default = rig_default',
      '[rig_default]',
      'MaxProtocol = TLSv1.2',
      'CipherString = DEFAULT:@SECLEVEL=2',
      '',
    ].join('\n'),
  );
  return f;
}

function redact(text: string, c: ControlClient): string {
  return c.password ? text.split(c.password).join('***') : text;
}

export async function runMosquittoCli(c: ControlClient, opts: ControlOptions = {}): Promise<Outcome> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const tls = usesTls(c);
  const topic = defaultTopic(c);
  const message = opts.message ?? `rig-cli-${randomBytes(4).toString('hex')}`;
  const id = c.clientId ?? `rig-cli-${randomBytes(3).toString('hex')}`;
  const owned = ownedTempDir('rig-cli-');
  const tmp = owned.dir;
  const env: Record<string, string> = { ...passwordConfig(tmp, c) };
  if (tls && c.tlsVersion === 'tlsv1.2') env.OPENSSL_CONF = maxTls12Conf(tmp);
  const facts: string[] = [];
  const deadline = Date.now() + timeoutMs;
  let sub: RunningProgram | undefined;
  // One timer for the deadline, cleared on return: a pending one kept `rig run` alive for up to timeoutMs.
  const expiry = deadlineTimer(deadline);
  try {
    // stdbuf: mosquitto_sub block-buffers its -d lines into a pipe, and the rig waits for "received SUBACK".
    let subOut = '';
    let sawSuback: () => void = () => undefined;
    const suback = new Promise<boolean>((resolve) => (sawSuback = () => resolve(true)));
    sub = await startProgram({
      command: 'stdbuf',
      args: ['-oL', 'mosquitto_sub', ...commonArgs(c, `${id}-sub`), '-t', topic, '-C', '1'],
      env,
      onOutput: (t) => {
        subOut += t;
        if (/received SUBACK/.test(subOut)) sawSuback();
      },
    });
    const s = sub;
    const subscribed = Promise.race([suback, s.result.then(() => false), expiry.reached.then(() => false)]);
    if (!(await subscribed)) {
      if (Date.now() >= deadline) {
        s.child.kill('SIGKILL');
        await s.result;
        return {
          kind: 'timeout',
          detail: `mosquitto_sub not subscribed within ${timeoutMs} ms`,
          facts: lines(redact(subOut, c)),
        };
      }
      const r = await s.result;
      return classifyFailure(c, r.code ?? -1, redact(r.all || subOut, c), 'mosquitto_sub', env, facts);
    }
    facts.push('mosquitto_sub subscribed');
    const pub = await runProgram({
      command: 'mosquitto_pub',
      args: [...commonArgs(c, id), '-t', topic, '-m', message],
      env,
      timeoutMs: Math.max(1, deadline - Date.now()),
    });
    if (pub.timedOut) return { kind: 'timeout', detail: 'mosquitto_pub timed out', facts };
    if (pub.code !== 0) return classifyFailure(c, pub.code ?? -1, redact(pub.all, c), 'mosquitto_pub', env, facts);
    facts.push('mosquitto_pub published');
    const got = await Promise.race([
      s.result.then((r) => r.all.split('\n').some((l) => l.trim() === message)),
      expiry.reached.then(() => false),
    ]);
    if (!got) return { kind: 'timeout', detail: 'published message not received by mosquitto_sub', facts };
    facts.push(`message ${topic}`);
    return { kind: 'connected', detail: `round trip on ${topic}`, facts };
  } finally {
    expiry.cancel();
    // Whatever the way out, mosquitto_sub does not outlive the control run.
    if (sub?.child.running()) {
      sub.child.kill('SIGKILL');
      await sub.result;
    }
    owned.remove();
  }
}

/** A promise that resolves at `deadline`, and the means to drop its timer. */
function deadlineTimer(deadline: number): { reached: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  return { reached, cancel: () => clearTimeout(timer) };
}

async function classifyFailure(
  c: ControlClient,
  exitCode: number,
  output: string,
  tool: string,
  env: Record<string, string>,
  facts: string[],
): Promise<Outcome> {
  const out = lines(output);
  facts.push(...out.map((l) => `${tool}: ${l}`));
  const cls = classifyCliOutput(exitCode, output, { clientCert: c.cert !== undefined, tls: usesTls(c) });
  const detail = out.filter((l) => /Error|error|Unable/.test(l)).join(' | ') || out.slice(-2).join(' | ');
  if (cls.inferred) facts.push(cls.inferred);
  if (!cls.needsVerifyDiagnosis) return { kind: cls.kind, code: cls.code, detail, facts };
  // "certificate verify failed" does not say why; ask the same OpenSSL with s_client for the verify error.
  const diag = await sClientVerify(c, env);
  if (diag.output)
    facts.push(
      ...lines(diag.output)
        .filter((l) => /verify error/.test(l))
        .map((l) => `openssl s_client: ${l}`),
    );
  const v = classifyVerifyError(diag.output);
  return v ? { kind: v.kind, code: v.code, detail, facts } : { kind: cls.kind, code: cls.code, detail, facts };
}

async function sClientVerify(c: ControlClient, env: Record<string, string>): Promise<{ output: string }> {
  const args = ['s_client', '-connect', `${c.host}:${c.port}`, '-verify_return_error', '-brief'];
  args.push(...(c.ca ? ['-CAfile', c.ca] : ['-CApath', SYSTEM_CAPATH]));
  if (!c.insecure) args.push('-verify_hostname', c.host);
  if (c.cert) args.push('-cert', c.cert);
  if (c.key) args.push('-key', c.key);
  const r = await runProgram({ command: 'openssl', args, input: '', env, timeoutMs: 5_000 });
  return { output: r.all };
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
