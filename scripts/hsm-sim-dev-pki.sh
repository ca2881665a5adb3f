#!/usr/bin/env bash
# Development PKI for a shared hsm-sim over mutual TLS (docs/hsm.md "Shared device over TLS").
#   bash scripts/hsm-sim-dev-pki.sh DIR [CLIENT_NAME ...]      (default clients: gateway-a gateway-b)
# Writes into DIR (created mode 0700; keys mode 0600):
#   ca.pem, ca.key           one development CA that issues the server and the client certificates
#   server.pem, server.key   the device's certificate: CN=hsm-sim, SAN DNS:localhost, IP:127.0.0.1, IP:::1
#                            plus HSM_PKI_SERVER_SAN (e.g. "DNS:hsm.internal,IP:10.0.0.5")
#   NAME.pem, NAME.key       one client certificate per gateway (CN=NAME, extendedKeyUsage clientAuth)
#   allowed-clients.txt      the device's allow list: "sha256:<fingerprint>" per client, a "# NAME" line above
# Idempotent: an existing CA, server certificate or client is kept; only new clients are issued and
# appended to allowed-clients.txt (so a line you deleted to withdraw a client is not put back).
# For development only: the CA key sits next to what it signs.
set -euo pipefail
dir="${1:?usage: hsm-sim-dev-pki.sh DIR [CLIENT_NAME ...]}"
shift
clients=("$@")
[ "${#clients[@]}" -gt 0 ] || clients=(gateway-a gateway-b)
days="${HSM_PKI_DAYS:-825}"
umask 077
mkdir -p "$dir"
cd "$dir"

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [ ! -f ca.pem ]; then
  newkey ca.key
  openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/O=Analog Firewall development/CN=hsm-sim development CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
fi

issue() { # name, extensions file
  newkey "$1.key"
  openssl req -new -key "$1.key" -subj "/O=Analog Firewall development/CN=$1" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days "$days" -extfile "$2" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$2"
}

if [ ! -f server.pem ]; then
  san="DNS:localhost,IP:127.0.0.1,IP:::1${HSM_PKI_SERVER_SAN:+,$HSM_PKI_SERVER_SAN}"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" > server.ext
  issue server server.ext
fi

touch allowed-clients.txt
for name in "${clients[@]}"; do
  [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] || { echo "hsm-sim-dev-pki: client name '$name' must match [A-Za-z0-9][A-Za-z0-9._-]*" >&2; exit 2; }
  [[ "$name" != server && "$name" != ca ]] || { echo "hsm-sim-dev-pki: '$name' is reserved" >&2; exit 2; }
  [ -f "$name.pem" ] && continue
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$name.ext"
  issue "$name" "$name.ext"
  fp="$(openssl x509 -in "$name.pem" -noout -fingerprint -sha256 | sed 's/^.*=//' | tr -d : | tr 'A-F' 'a-f')"
  printf '# %s\nsha256:%s\n' "$name" "$fp" >> allowed-clients.txt
done
rm -f ca.srl

abs="$(pwd)"
cat <<OUT
device:  HSM_SIM_TCP=127.0.0.1:5696 HSM_SIM_TLS_CERT=$abs/server.pem HSM_SIM_TLS_KEY=$abs/server.key \\
         HSM_SIM_TLS_CLIENT_CA=$abs/ca.pem HSM_SIM_TLS_ALLOWED_CLIENTS_FILE=$abs/allowed-clients.txt
gateway: HSM_SIM_TCP=127.0.0.1:5696 HSM_SIM_TLS_CA=$abs/ca.pem \\
         HSM_SIM_TLS_CLIENT_CERT=$abs/${clients[0]}.pem HSM_SIM_TLS_CLIENT_KEY=$abs/${clients[0]}.key
OUT
