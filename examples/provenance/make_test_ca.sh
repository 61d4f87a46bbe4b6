#!/usr/bin/env bash
# Make a local TEST certificate chain for signing images with C2PA, fully offline.
#
# C2PA refuses a purely self-signed signing certificate: the signer must be an end-entity
# certificate (digitalSignature, an emailProtection extended key usage, not a CA) issued by
# a CA. This script makes both with openssl, on ES256 (ECDSA P-256) keys:
#
#   OUT_DIR/ca.key       the test CA's private key        (keep it, or delete it after use)
#   OUT_DIR/ca.pem       the test CA certificate           (a verifier's trust anchor)
#   OUT_DIR/signer.key   the signer's private key (PKCS#8) (steward provenance sign --key)
#   OUT_DIR/signer.pem   the signer certificate            (the end-entity cert alone)
#   OUT_DIR/chain.pem    signer.pem followed by ca.pem     (steward provenance sign --cert)
#
# Usage: examples/provenance/make_test_ca.sh [OUT_DIR] [COMMON_NAME]
# These are test credentials: no public verifier trusts this CA. For production, get a
# signing certificate from a CA on the C2PA trust list.
set -euo pipefail

out="${1:-./provenance-test-ca}"
cn="${2:-Steward test signer}"
days="${STEWARD_TEST_CA_DAYS:-365}"

command -v openssl >/dev/null 2>&1 || { echo "error: openssl is not installed" >&2; exit 1; }
mkdir -p "$out"
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/ca.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = Steward test CA
O = Steward test
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF

cat >"$tmp/signer.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $cn
O = Steward test
[v3_signer]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
CNF

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/ca.key" 2>/dev/null
openssl req -new -x509 -key "$out/ca.key" -sha256 -days "$days" -config "$tmp/ca.cnf" -out "$out/ca.pem"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/signer.key" 2>/dev/null
openssl req -new -key "$out/signer.key" -config "$tmp/signer.cnf" -out "$tmp/signer.csr"
openssl x509 -req -in "$tmp/signer.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial \
  -CAserial "$tmp/ca.srl" -sha256 -days "$days" -extfile "$tmp/signer.cnf" -extensions v3_signer \
  -out "$out/signer.pem" 2>/dev/null

cat "$out/signer.pem" "$out/ca.pem" >"$out/chain.pem"
chmod 600 "$out/ca.key" "$out/signer.key"
chmod 644 "$out/ca.pem" "$out/signer.pem" "$out/chain.pem"
echo "test CA chain written to $out: sign with --cert $out/chain.pem --key $out/signer.key"
