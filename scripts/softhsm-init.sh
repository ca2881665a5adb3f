#!/usr/bin/env bash
# Create (idempotently) a SoftHSMv2 token in its own directory, for tests, CI and local runs.
#
#   scripts/softhsm-init.sh DIR [TOKEN_LABEL] [SO_PIN] [USER_PIN]
#
# Defaults: TOKEN_LABEL=analog-firewall, SO_PIN=12345678, USER_PIN=123456 (or SOFTHSM_TOKEN_LABEL,
# SOFTHSM_SO_PIN, SOFTHSM_USER_PIN). Writes DIR/softhsm2.conf pointing at DIR/tokens, initialises
# the token unless one with that label already exists there, and prints shell assignments:
#
#   eval "$(scripts/softhsm-init.sh .softhsm)"   # sets SOFTHSM2_CONF, PKCS11_LIBRARY, PKCS11_TOKEN_LABEL
#
# The PINs are development values; a real deployment never uses SoftHSM (docs/hsm.md).
set -euo pipefail

dir=${1:?usage: softhsm-init.sh DIR [TOKEN_LABEL] [SO_PIN] [USER_PIN]}
label=${2:-${SOFTHSM_TOKEN_LABEL:-analog-firewall}}
so_pin=${3:-${SOFTHSM_SO_PIN:-12345678}}
user_pin=${4:-${SOFTHSM_USER_PIN:-123456}}

lib=${PKCS11_LIBRARY:-}
if [[ -z "$lib" ]]; then
  for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so /opt/homebrew/lib/softhsm/libsofthsm2.so; do
    if [[ -f "$candidate" ]]; then lib=$candidate; break; fi
  done
fi
if [[ -z "$lib" || ! -f "$lib" ]]; then
  echo "softhsm-init: libsofthsm2.so not found; install softhsm2 or set PKCS11_LIBRARY" >&2
  exit 1
fi
command -v softhsm2-util >/dev/null || { echo "softhsm-init: softhsm2-util not on PATH" >&2; exit 1; }

mkdir -p "$dir/tokens"
chmod 700 "$dir" "$dir/tokens"
dir=$(cd "$dir" && pwd)
conf="$dir/softhsm2.conf"
if [[ ! -f "$conf" ]]; then
  cat >"$conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
slots.mechanisms = ALL
library.reset_on_fork = false
CONF
fi
export SOFTHSM2_CONF="$conf"

# Idempotent: an existing token with this label is kept as it is.
if softhsm2-util --show-slots 2>/dev/null | grep -Eq "^[[:space:]]+Label:[[:space:]]+${label}[[:space:]]*$"; then
  echo "softhsm-init: token \"$label\" already exists in $dir/tokens" >&2
else
  softhsm2-util --init-token --free --label "$label" --so-pin "$so_pin" --pin "$user_pin" >/dev/null
  echo "softhsm-init: created token \"$label\" in $dir/tokens" >&2
fi

printf 'export SOFTHSM2_CONF=%q\nexport PKCS11_LIBRARY=%q\nexport PKCS11_TOKEN_LABEL=%q\n' "$conf" "$lib" "$label"
