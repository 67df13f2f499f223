import assert from 'node:assert/strict';
import { classifyCliOutput, classifyNodeError, classifyVerifyError } from '../../rig/control/classify.ts';

// Error codes/messages as measured with mqtt.js 5 and mosquitto_pub 2.0.11 (docs/tool-facts.md §4, §5).
describe('control outcome classification', () => {
  const node = (code: string | number, message: string, clientCert = false) =>
    classifyNodeError({ code, message }, { clientCert });

  it('Node/mqtt.js errors', () => {
    assert.deepEqual(node('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), {
      kind: 'tls/name-mismatch',
      code: 'openssl:ERR_TLS_CERT_ALTNAME_INVALID',
    });
    assert.equal(node('CERT_HAS_EXPIRED', 'certificate has expired').kind, 'tls/expired');
    assert.equal(
      node('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain').kind,
      'tls/untrusted',
    );
    assert.equal(node('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate').kind, 'tls/untrusted');
    assert.equal(node('UNSPECIFIED', 'CA signature digest algorithm too weak').kind, 'tls/weak-signature');
    assert.equal(
      node('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required').kind,
      'tls/client-cert-required',
    );
    assert.equal(
      node('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'tlsv1 alert unknown ca', true).kind,
      'tls/client-cert-rejected',
    );
    assert.equal(
      node('EPROTO', 'write EPROTO ...:tlsv1 alert protocol version:...SSL alert number 70').kind,
      'tls/protocol-version',
    );
    assert.deepEqual(node(5, 'Connection refused: Not authorized'), { kind: 'mqtt/not-authorized', code: 'connack:5' });
    assert.equal(node(4, 'Connection refused: Bad username or password').kind, 'mqtt/bad-credentials');
    assert.equal(node('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:18999').kind, 'tcp/refused');
    assert.equal(node('ECONNRESET', 'read ECONNRESET').kind, 'tcp/reset');
    assert.equal(node('ENOTFOUND', 'getaddrinfo ENOTFOUND nope.invalid').kind, 'dns/failed');
  });

  it('mosquitto_pub/sub output', () => {
    const cli = (out: string, code = 1, clientCert = false) =>
      classifyCliOutput(code, out, { clientCert, tls: true }).kind;
    assert.equal(cli('Connection error: Connection Refused: not authorised.'), 'mqtt/not-authorized');
    assert.equal(
      cli(
        'Error: host name verification failed.\nOpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed',
      ),
      'tls/name-mismatch',
    );
    assert.equal(
      cli(
        'OpenSSL Error[0]: error:0A00042E:SSL routines::tlsv1 alert protocol version\nError: A TLS error occurred.',
        8,
      ),
      'tls/protocol-version',
    );
    assert.equal(
      cli(
        'Error: The connection was lost.\nOpenSSL Error[0]: error:0A00045C:SSL routines::tlsv13 alert certificate required',
        7,
      ),
      'tls/client-cert-required',
    );
    assert.equal(cli('Error: Protocol error'), 'tls/client-cert-required');
    assert.equal(cli('Error: Protocol error', 1, true), 'tls/client-cert-rejected');
    assert.equal(
      cli(
        'OpenSSL Error[0]: error:0A000418:SSL routines::tlsv1 alert unknown ca\nError: The connection was lost.',
        7,
        true,
      ),
      'tls/client-cert-rejected',
    );
    assert.equal(cli('Error: Connection refused'), 'tcp/refused');
    const v = classifyCliOutput(
      8,
      'OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed\nError: A TLS error occurred.',
      { clientCert: false, tls: true },
    );
    assert.equal(v.needsVerifyDiagnosis, true);
  });

  it('mosquitto_pub/sub codes come from what they printed, not from their exit status (1 or 8 for one cause)', () => {
    const code = (out: string, exit: number, clientCert = false) =>
      classifyCliOutput(exit, out, { clientCert, tls: true }).code;
    const mismatch =
      'Error: host name verification failed.\nOpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed';
    assert.equal(code(mismatch, 1), 'openssl:HOSTNAME_MISMATCH');
    assert.equal(code(mismatch, 8), 'openssl:HOSTNAME_MISMATCH');
    assert.equal(
      code('OpenSSL Error[0]: error:0A000418:SSL routines::tlsv1 alert unknown ca', 8, true),
      'tls-alert:unknown_ca',
    );
    assert.equal(
      code('OpenSSL Error[0]: error:0A00042E:SSL routines::tlsv1 alert protocol version', 1),
      'tls-alert:protocol_version',
    );
    assert.equal(code('Error: Connection refused', 14), 'errno:ECONNREFUSED');
    assert.equal(
      code('something nobody printed before', 13),
      'mosquitto_cli:13',
      'the exit status only when nothing better was printed',
    );
  });

  it('openssl s_client verify errors', () => {
    assert.deepEqual(classifyVerifyError('depth=0 CN = localhost\nverify error:num=10:certificate has expired'), {
      kind: 'tls/expired',
      code: 'openssl:CERT_HAS_EXPIRED',
    });
    assert.equal(classifyVerifyError('verify error:num=62:hostname mismatch')?.kind, 'tls/name-mismatch');
    assert.equal(
      classifyVerifyError('verify error:num=19:self-signed certificate in certificate chain')?.kind,
      'tls/untrusted',
    );
    assert.equal(classifyVerifyError('CONNECTION ESTABLISHED'), undefined);
  });
});
