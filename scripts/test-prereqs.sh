#!/usr/bin/env bash
# Runs before `npm test` (npm's pretest hook), and as `test-prereqs.sh bench` before `npm run bench`
# (the benchmarks need neither the browser nor the approver app; `bench valgrind` adds valgrind for
# `npm run bench:instructions`): makes sure the machine has what they use for
# real — SoftHSMv2, OpenSC's pkcs11-tool and openssl for the HSM tests, Redis for the replay-cache tests,
# PostgreSQL for the PostgreSQL store's tests (each run creates and drops its own databases),
# Debian's chromium (never a downloaded browser) and espeak-ng for the approver app's browser tests —
# installing Debian packages and starting services when they are missing. Quiet when all is there.
set -euo pipefail
for_bench=false
[ "${1:-}" = bench ] && for_bench=true
with_valgrind=false
[ "${2:-}" = valgrind ] && with_valgrind=true

missing=()
command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v pkcs11-tool >/dev/null 2>&1 || missing+=(opensc)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# `npm run cluster` puts HAProxy in front of the replicas; docker-compose validates docker-compose.yml.
# (Debian puts haproxy in /usr/sbin, which a CI job's PATH may leave out: src/cli/cluster-haproxy.ts looks there.)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
# The approver app's browser tests: Debian's Chromium (never a downloaded browser), and espeak-ng
# to speak the words the fake microphone plays.
if ! $for_bench; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
fi
if $with_valgrind; then
  command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test prerequisites missing: ${missing[*]} (install them: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "installing ${missing[*]} (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting redis on 127.0.0.1:6379" >&2
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
# The PostgreSQL store's tests connect as postgres to 127.0.0.1:5432 (test/helpers/postgres.ts).
if ! pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "starting postgresql on 127.0.0.1:5432" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 0.2; done
fi
# The approver app's built files (npm's prepare builds them; a checkout without `npm install` has none).
if ! $for_bench && [ ! -f web/app/dist/index.html ]; then
  echo "building the approver app (npm run build:app)" >&2
  npm run -s build:app
fi
exit 0
