#!/bin/sh
# Regenerates ../BearSSLTrustAnchors.h from Debian's ca-certificates (the roots ArduinoBearSSL 1.7.7 ships).
set -e
here=$(cd "$(dirname "$0")" && pwd)
m=/usr/share/ca-certificates/mozilla
tmp=$(mktemp -d)
g++ -std=gnu++17 -O1 "$here/gen_trust_anchors.cc" -o "$tmp/gen" -lbearssl
"$tmp/gen" $m/Amazon_Root_CA_1.crt $m/Baltimore_CyberTrust_Root.crt $m/COMODO_RSA_Certification_Authority.crt \
  $m/DigiCert_Global_Root_CA.crt $m/DigiCert_Global_Root_G2.crt $m/DigiCert_High_Assurance_EV_Root_CA.crt \
  $m/Entrust_Root_Certification_Authority.crt $m/GlobalSign_Root_CA.crt $m/Go_Daddy_Root_Certificate_Authority_-_G2.crt \
  $m/ISRG_Root_X1.crt $m/Microsoft_RSA_Root_Certificate_Authority_2017.crt > "$here/../BearSSLTrustAnchors.h"
rm -rf "$tmp"
