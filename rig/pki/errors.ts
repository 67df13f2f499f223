// One error type for the PKI helper so callers can tell "your PKI spec or script is wrong" apart
// from bugs. Messages name the certificate, field or command; they never carry key material.
export class PkiError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PkiError';
  }
}
