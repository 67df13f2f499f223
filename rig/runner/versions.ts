// Versions of the parts a result depends on, recorded in every results.json.
import { execa } from 'execa';
import { installedVersion } from '../setup/deps.ts';

export async function toolVersions(): Promise<Record<string, string>> {
  const out: Record<string, string> = { node: process.version };
  const [ossl, mbed, bear, mosq] = await Promise.all([
    execa('openssl', ['version'], { reject: false }).then((r) => (r.exitCode === 0 ? r.stdout.trim() : undefined)),
    installedVersion('libmbedtls-dev'),
    installedVersion('libbearssl-dev'),
    installedVersion('mosquitto'),
  ]);
  if (ossl) out.openssl = ossl;
  if (mbed) out.mbedtls = mbed;
  if (bear) out.bearssl = bear;
  if (mosq) out.mosquitto = mosq;
  return out;
}
