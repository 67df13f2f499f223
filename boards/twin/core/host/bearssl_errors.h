// BearSSL's engine and X.509 error codes as text: the wording of bearssl_ssl.h / bearssl_x509.h, which both
// ESP8266 getLastSSLError() (WiFiClientSecureBearSSL.cpp:1348-1434) and SSLClient's m_print_br_error() print.
// Header-only and included by BearSSL users only (the ESP32 twin has no BearSSL).
#pragma once
#include <bearssl.h>

namespace twin {
// No case 0: 0 and unlisted values are "Unknown error code.", as on the boards.
inline const char* bearsslErrorText(int err) {
  switch (err) {
    case BR_ERR_BAD_PARAM: return "Caller-provided parameter is incorrect.";
    case BR_ERR_BAD_STATE: return "Operation requested by the caller cannot be applied with the current context state (e.g. reading data while outgoing data is waiting to be sent).";
    case BR_ERR_UNSUPPORTED_VERSION: return "Incoming protocol or record version is unsupported.";
    case BR_ERR_BAD_VERSION: return "Incoming record version does not match the expected version.";
    case BR_ERR_BAD_LENGTH: return "Incoming record length is invalid.";
    case BR_ERR_TOO_LARGE: return "Incoming record is too large to be processed, or buffer is too small for the handshake message to send.";
    case BR_ERR_BAD_MAC: return "Decryption found an invalid padding, or the record MAC is not correct.";
    case BR_ERR_NO_RANDOM: return "No initial entropy was provided, and none can be obtained from the OS.";
    case BR_ERR_UNKNOWN_TYPE: return "Incoming record type is unknown.";
    case BR_ERR_UNEXPECTED: return "Incoming record or message has wrong type with regards to the current engine state.";
    case BR_ERR_BAD_CCS: return "ChangeCipherSpec message from the peer has invalid contents.";
    case BR_ERR_BAD_ALERT: return "Alert message from the peer has invalid contents (odd length).";
    case BR_ERR_BAD_HANDSHAKE: return "Incoming handshake message decoding failed.";
    case BR_ERR_OVERSIZED_ID: return "ServerHello contains a session ID which is larger than 32 bytes.";
    case BR_ERR_BAD_CIPHER_SUITE: return "Server wants to use a cipher suite that we did not claim to support. This is also reported if we tried to advertise a cipher suite that we do not support.";
    case BR_ERR_BAD_COMPRESSION: return "Server wants to use a compression that we did not claim to support.";
    case BR_ERR_BAD_FRAGLEN: return "Server's max fragment length does not match client's.";
    case BR_ERR_BAD_SECRENEG: return "Secure renegotiation failed.";
    case BR_ERR_EXTRA_EXTENSION: return "Server sent an extension type that we did not announce, or used the same extension type several times in a single ServerHello.";
    case BR_ERR_BAD_SNI: return "Invalid Server Name Indication contents (when used by the server, this extension shall be empty).";
    case BR_ERR_BAD_HELLO_DONE: return "Invalid ServerHelloDone from the server (length is not 0).";
    case BR_ERR_LIMIT_EXCEEDED: return "Internal limit exceeded (e.g. server's public key is too large).";
    case BR_ERR_BAD_FINISHED: return "Finished message from peer does not match the expected value.";
    case BR_ERR_RESUME_MISMATCH: return "Session resumption attempt with distinct version or cipher suite.";
    case BR_ERR_INVALID_ALGORITHM: return "Unsupported or invalid algorithm (ECDHE curve, signature algorithm, hash function).";
    case BR_ERR_BAD_SIGNATURE: return "Invalid signature in ServerKeyExchange or CertificateVerify message.";
    case BR_ERR_WRONG_KEY_USAGE: return "Peer's public key does not have the proper type or is not allowed for the requested operation.";
    case BR_ERR_NO_CLIENT_AUTH: return "Client did not send a certificate upon request, or the client certificate could not be validated.";
    case BR_ERR_IO: return "I/O error or premature close on transport stream.";
    case BR_ERR_X509_INVALID_VALUE: return "Invalid value in an ASN.1 structure.";
    case BR_ERR_X509_TRUNCATED: return "Truncated certificate or other ASN.1 object.";
    case BR_ERR_X509_EMPTY_CHAIN: return "Empty certificate chain (no certificate at all).";
    case BR_ERR_X509_INNER_TRUNC: return "Decoding error: inner element extends beyond outer element size.";
    case BR_ERR_X509_BAD_TAG_CLASS: return "Decoding error: unsupported tag class (application or private).";
    case BR_ERR_X509_BAD_TAG_VALUE: return "Decoding error: unsupported tag value.";
    case BR_ERR_X509_INDEFINITE_LENGTH: return "Decoding error: indefinite length.";
    case BR_ERR_X509_EXTRA_ELEMENT: return "Decoding error: extraneous element.";
    case BR_ERR_X509_UNEXPECTED: return "Decoding error: unexpected element.";
    case BR_ERR_X509_NOT_CONSTRUCTED: return "Decoding error: expected constructed element, but is primitive.";
    case BR_ERR_X509_NOT_PRIMITIVE: return "Decoding error: expected primitive element, but is constructed.";
    case BR_ERR_X509_PARTIAL_BYTE: return "Decoding error: BIT STRING length is not multiple of 8.";
    case BR_ERR_X509_BAD_BOOLEAN: return "Decoding error: BOOLEAN value has invalid length.";
    case BR_ERR_X509_OVERFLOW: return "Decoding error: value is off-limits.";
    case BR_ERR_X509_BAD_DN: return "Invalid distinguished name.";
    case BR_ERR_X509_BAD_TIME: return "Invalid date/time representation.";
    case BR_ERR_X509_UNSUPPORTED: return "Certificate contains unsupported features that cannot be ignored.";
    case BR_ERR_X509_LIMIT_EXCEEDED: return "Key or signature size exceeds internal limits.";
    case BR_ERR_X509_WRONG_KEY_TYPE: return "Key type does not match that which was expected.";
    case BR_ERR_X509_BAD_SIGNATURE: return "Signature is invalid.";
    case BR_ERR_X509_TIME_UNKNOWN: return "Validation time is unknown.";
    case BR_ERR_X509_EXPIRED: return "Certificate is expired or not yet valid.";
    case BR_ERR_X509_DN_MISMATCH: return "Issuer/Subject DN mismatch in the chain.";
    case BR_ERR_X509_BAD_SERVER_NAME: return "Expected server name was not found in the chain.";
    case BR_ERR_X509_CRITICAL_EXTENSION: return "Unknown critical extension in certificate.";
    case BR_ERR_X509_NOT_CA: return "Not a CA, or path length constraint violation.";
    case BR_ERR_X509_FORBIDDEN_KEY_USAGE: return "Key Usage extension prohibits intended usage.";
    case BR_ERR_X509_WEAK_PUBLIC_KEY: return "Public key found in certificate is too small.";
    case BR_ERR_X509_NOT_TRUSTED: return "Chain could not be linked to a trust anchor.";
    default: return "Unknown error code.";
  }
}
}  // namespace twin
