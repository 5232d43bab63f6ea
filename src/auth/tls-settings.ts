/**
 * The TLS settings of every TLS listener Flotilla runs (the CWMP endpoint, the file transfer
 * endpoint): TLS 1.3, and TLS 1.2 only with forward secrecy (ECDHE) and an AEAD cipher
 * (AES-GCM, ChaCha20-Poly1305). Node's defaults also accept static-RSA and CBC suites
 * (AES128-SHA, AES256-SHA256) that a passive attacker holding the key, or a padding oracle,
 * can break; CPEs old enough to need those need a firmware update, not a weaker ACS.
 */
export const TLS12_SUITES = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const;

export const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;

/** Spread into node:tls / node:https server options. */
export const MODERN_TLS = {
  minVersion: 'TLSv1.2',
  ciphers: [...TLS13_SUITES, ...TLS12_SUITES].join(':'),
  honorCipherOrder: true,
} as const;
