// The TLS library as the firmware built it (`tls:` in a board profile's twin section and in a scenario's
// build.<board>): which curves, ciphers, buffer sizes and key limits the board's mbedTLS or BearSSL was compiled
// with. Twins apply these at run time on the host's library and answer with the board build's own error codes
// (docs/tls-build.md). Presets name real builds; each value cites where it was read.
import { z } from 'zod';

/** mbedTLS group names (MBEDTLS_ECP_DP_<X>_ENABLED, mbedtls/ecp.h 2.28) as lower-case TLS names. */
export const CURVES = [
  'secp192r1',
  'secp224r1',
  'secp256r1',
  'secp384r1',
  'secp521r1',
  'secp192k1',
  'secp224k1',
  'secp256k1',
  'bp256r1',
  'bp384r1',
  'bp512r1',
  'x25519',
] as const;
export const Curve = z.enum(CURVES);

export const TLS_PRESETS = [
  'arduino-esp32-2.0',
  'esp-idf-small-buffers',
  'esp8266-bearssl-default',
  'tasmota',
] as const;
export const TlsPresetName = z.enum(TLS_PRESETS);

export const TlsBuild = z
  .object({
    preset: TlsPresetName.optional().describe(
      'A known build: arduino-esp32-2.0 (its esp32 sdkconfig), esp-idf-small-buffers (an IDF app with ' +
        'CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=4096), esp8266-bearssl-default, tasmota (its TLS client). Fields below override it',
    ),
    curves: z
      .array(Curve)
      .min(1)
      .optional()
      .describe(
        'mbedTLS: the curves the build has (CONFIG_MBEDTLS_ECP_DP_<X>_ENABLED); a certificate or key on another curve ' +
          'fails to parse with -0x3A00 (PK - Elliptic curve is unsupported)',
      ),
    des: z
      .boolean()
      .optional()
      .describe('mbedTLS: CONFIG_MBEDTLS_DES_C (off in ESP-IDF): DES/3DES-encrypted keys and 3DES suites'),
    inContentLen: z
      .number()
      .int()
      .min(512)
      .max(16384)
      .optional()
      .describe(
        'mbedTLS: CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN (16384 by default): a larger record fails with -0x7200, or ' +
          '-0x7100 when it does not fit the static buffer at all',
      ),
    dynamicBuffer: z
      .boolean()
      .optional()
      .describe(
        'mbedTLS: CONFIG_MBEDTLS_DYNAMIC_BUFFER: the input buffer is sized per record, so every oversize record is -0x7200',
      ),
    maxFragmentLength: z
      .union([z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)])
      .optional()
      .describe('The max_fragment_length the client asks for (mbedtls_ssl_conf_max_frag_len; BearSSL MFLN)'),
    rsaMaxBits: z
      .number()
      .int()
      .min(1024)
      .max(16384)
      .optional()
      .describe(
        'Largest RSA key the build handles: ESP32 SOC_RSA_MAX_BIT_LEN 4096 without CONFIG_MBEDTLS_LARGE_KEY_SOFTWARE_MPI; ' +
          'BearSSL BR_MAX_RSA_SIZE (4096)',
      ),
    ciphers: z
      .array(
        z
          .string()
          .regex(/^[A-Z0-9_-]+$/, 'a suite name as the library spells it (TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256)'),
      )
      .min(1)
      .optional()
      .describe("The cipher suites the client offers, in the library's own names; default: the build's list"),
  })
  .strict();
export type TlsBuild = z.infer<typeof TlsBuild>;

/**
 * What each preset sets. Sources:
 * - arduino-esp32-2.0: tools/sdk/esp32/sdkconfig of arduino-esp32 2.0.14 as PlatformIO packages it
 *   (ncleesattel/framework-arduinoespressif32 @ 0615511, "mbedTLS" section): CONFIG_MBEDTLS_SSL_MAX_CONTENT_LEN=16384,
 *   ASYMMETRIC_CONTENT_LEN and DYNAMIC_BUFFER not set, "# CONFIG_MBEDTLS_DES_C is not set", every ECP_DP curve
 *   enabled, "# CONFIG_MBEDTLS_LARGE_KEY_SOFTWARE_MPI is not set" (so RSA stops at the accelerator's 4096 bits).
 * - esp-idf-small-buffers: ESP-IDF's Kconfig defaults (components/mbedtls/Kconfig: DES_C off) with the input buffer
 *   cut to 4096, the setting forum threads about -0x7200 name, and only the NIST P-256 curve kept, as size-tuned
 *   IDF apps do.
 * - esp8266-bearssl-default: esp8266/Arduino's BearSSL build (BR_MAX_RSA_SIZE 4096, its default suites).
 * - tasmota: Tasmota's TLS client, arendst/Tasmota lib/lib_ssl/tls_mini/src/WiFiClientSecureLightBearSSL.cpp @ 0119132
 *   br_ssl_client_base_init(): one suite, BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ("We limit to a single cipher to
 *   reduce footprint"), TLS 1.2 only, the P-256 curve only; lib/lib_ssl/bearssl-esp8266/src/t_bearssl_tasmota_config.h
 *   @ 87ca584: BR_MAX_RSA_SIZE 2048 unless USE_4K_RSA.
 */
export const PRESETS: Record<z.infer<typeof TlsPresetName>, Omit<TlsBuild, 'preset'>> = {
  'arduino-esp32-2.0': { curves: [...CURVES], des: false, inContentLen: 16384, dynamicBuffer: false, rsaMaxBits: 4096 },
  'esp-idf-small-buffers': {
    curves: ['secp256r1'],
    des: false,
    inContentLen: 4096,
    dynamicBuffer: false,
    rsaMaxBits: 4096,
  },
  'esp8266-bearssl-default': { rsaMaxBits: 4096 },
  tasmota: { rsaMaxBits: 2048, ciphers: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] },
};

/** Layers in order (profile, then scenario "*", board, variant "*", board): a preset first, then its own fields. */
export function mergeTlsBuild(layers: (TlsBuild | undefined)[]): TlsBuild {
  let out: TlsBuild = {};
  for (const l of layers) {
    if (!l) continue;
    const { preset, ...own } = l;
    if (preset) out = { ...out, ...PRESETS[preset], preset };
    out = { ...out, ...own };
  }
  return out;
}

/** The build as the twin's world file carries it: scalars only (the twin's JSON reader skips arrays). */
export function tlsWorld(t: TlsBuild): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(t)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(',') : (v as string | number | boolean);
  }
  return out;
}
