#!/usr/bin/env bash
# The README's quick tour, runnable: `npm run tour` in a second terminal, against a fresh `npm start`
# (GW and D default to its address and DATA_DIR; set them for another PORT or DATA_DIR). The text
# between the two marker lines is the README's tour block, character for character:
# test/tour.test.ts checks that, and runs this script against a real `npm start`.
# Any Node will do for the commands themselves: the TypeScript runs through npm scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
# --- tour ---
GW=${GW:-http://127.0.0.1:8080}; D=${D:-data}   # where `npm start` listens, and its DATA_DIR
# a one-use client assertion for METHOD PATH, signed with the key $D/WHO.jwk (demo-agent, alice, rita)
tok() { npm run -s cli -- token --gateway "$GW" --key "$D/$1.jwk" "$2" "$3"; }
# one field of the JSON on stdin (json .status); prints the whole answer and fails if it is missing
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=eval("JSON.parse(s)"+process.argv[1]);if(v===undefined){console.error(s);process.exit(1)}console.log(v)})' "$1"; }
# an action's status once it stops moving on its own (long-polls through cooling and execution)
settle() {
  local s; s=$(curl -s -H "Authorization: Bearer $(tok demo-agent GET "/v1/actions/$1")" "$GW/v1/actions/$1" | json .status)
  while [ "$s" = cooling ] || [ "$s" = authorised ] || [ "$s" = executing ]; do
    s=$(curl -s -H "Authorization: Bearer $(tok demo-agent GET "/v1/actions/$1")" "$GW/v1/actions/$1?wait=10" | json .status)
  done
  echo "$1 $s"
}

# LOW — a balance read passes at once; you get the actuator's own answer
curl -s -H "Authorization: Bearer $(tok demo-agent GET /proxy/payments/balances/acc-1)" -H "Idempotency-Key: t1" \
  "$GW/proxy/payments/balances/acc-1"; echo

# MEDIUM — a 250 EUR transfer cools for 5 s (202 + status URL), then executes
medium=$(curl -s -H "Authorization: Bearer $(tok demo-agent POST /proxy/payments/transfers)" -H "Idempotency-Key: t2" \
  -H 'Content-Type: application/json' -d '{"payee":"DE89370400440532013000","amount":250,"currency":"EUR"}' \
  "$GW/proxy/payments/transfers" | json .id)
settle "$medium"                                  # act_… executed

# HIGH — 5,000 EUR waits for a biological signature (status awaiting_signature, expiresAt)
high=$(curl -s -H "Authorization: Bearer $(tok demo-agent POST /proxy/payments/transfers)" -H "Idempotency-Key: t3" \
  -H 'Content-Type: application/json' -d '{"payee":"DE89370400440532013000","amount":5000,"currency":"EUR"}' \
  "$GW/proxy/payments/transfers" | json .id)
settle "$high"                                    # act_… awaiting_signature

# … and alice answers it from a (simulated) phone: enrol a passkey once (she is then asked to sign
# what already waits for her), then sign live for 30 s while the gateway reveals a paced-breathing
# schedule and gestures; the transfer then executes.
npm run -s device -- enrol --gateway "$GW" --person alice --key "$D/alice.jwk" \
  --out "$D/alice-phone.json" --modalities hrv,motion
# An honest answer is refused now and then (docs/liveness.md gives the false-rejection rates);
# a refusal comes with a fresh challenge, so she tries again (the policy allows 5 attempts).
for attempt in 1 2 3; do
  npm run -s device -- sign --gateway "$GW" --person alice --key "$D/alice.jwk" \
    --credential "$D/alice-phone.json" --challenge next && break
done
settle "$high"                                    # act_… executed
npm run -s device -- attacks   # the attack classes the same CLI can run (--attack KIND): all refused

# CRITICAL — deleting a cluster waits for a quorum of people plus a compliance officer
critical=$(curl -s -X DELETE -H "Authorization: Bearer $(tok demo-agent DELETE /proxy/infra/clusters/prod-eu-1)" \
  -H "Idempotency-Key: t4" "$GW/proxy/infra/clusters/prod-eu-1" | json .id)
settle "$critical"                                # act_… awaiting_quorum

# Ten 600 EUR transfers in an hour are treated like one 6,000 EUR transfer: the ninth is HIGH.
# A Branch Card with a FAIL gate is blocked outright (403 ACTION_BLOCKED, the one refusal).

# alice vetoes a cooling action: scaling a deployment cools for 30 s
vetoed=$(curl -s -H "Authorization: Bearer $(tok demo-agent POST /proxy/infra/deployments/web/scale)" -H "Idempotency-Key: t5" \
  -H 'Content-Type: application/json' -d '{"replicas":3}' "$GW/proxy/infra/deployments/web/scale" | json .id)
curl -s -X POST -H "Authorization: Bearer $(tok alice POST "/v1/actions/$vetoed/veto")" \
  -H 'Content-Type: application/json' -d '{"reason":"not during the release"}' "$GW/v1/actions/$vetoed/veto" | json .status
settle "$vetoed"                                  # act_… vetoed

# A regulator, rita, exports the log with a short-lived token and verifies it offline, trusting
# only the HSM's root certificate: pinned out of band in real life; here the embedded hsm-sim's,
# the last certificate of the checkpoint verifier key's attestation chain.
curl -s "$GW/log/v1/verifier-key" | json '.x5c.slice(-1)[0]' | base64 -d > "$D/hsm-root.der"
token=$(curl -s -X POST -H "Authorization: Bearer $(tok rita POST /v1/regulator/tokens)" \
  -H 'Content-Type: application/json' -d '{"scopes":["log:export"]}' "$GW/v1/regulator/tokens" | json .access_token)
curl -s -H "Authorization: Bearer $token" "$GW/v1/regulator/export" > "$D/bundle.json"
npm run -s regulator -- verify "$D/bundle.json" --root "$D/hsm-root.der"
# --- end of tour ---
