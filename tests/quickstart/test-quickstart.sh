#!/bin/bash
# Tries the README's run command as a new user would: it must start convoked
# on the embedded default config, print generated credentials, and answer
# curl on the documented endpoints. Package installation is skipped (the
# suite's own command already installed everything) and the build dir is
# the one under test.
set -euo pipefail

src=${CONVOKE_SOURCE_ROOT:?run through meson test}
build=${CONVOKE_BUILD_ROOT:?run through meson test}

# The command must be the one README.md documents.
cmd=$(grep -m1 -E '^bash \.ci/quickstart' "$src/README.md" || true)
[ "$cmd" = "bash .ci/quickstart" ] || { echo "README.md does not document 'bash .ci/quickstart'"; exit 1; }

if (exec 3<>/dev/tcp/127.0.0.1/7880) 2>/dev/null; then
  echo "port 7880 is taken on this machine; the default config cannot listen"
  exit 77  # skip
fi

out=$(mktemp)
cleanup() {
  [ -n "${pid:-}" ] && kill -TERM -- "-$pid" 2>/dev/null || true
  rm -f "$out"
}
trap cleanup EXIT

cd "$src"
CONVOKE_SKIP_APT=1 CONVOKE_BUILD_DIR="$build" setsid bash .ci/quickstart >"$out" 2>&1 &
pid=$!

# Up to 20 s for it to listen: a deadline, stretched by the suite's one
# time scale (tests/harness/test-time.h) like every other.
tries=$(awk -v s="${CONVOKE_TEST_TIME_SCALE:-1}" \
  'BEGIN { s += 0; if (!(s >= 1)) s = 1; if (s > 100) s = 100; print int(200 * s) }')
for _ in $(seq 1 "$tries"); do
  grep -q 'Convoke listening on http://127.0.0.1:7880' "$out" && break
  kill -0 "$pid" 2>/dev/null || { echo "quickstart exited:"; cat "$out"; exit 1; }
  sleep 0.1
done
grep -q 'Convoke listening on' "$out" || { echo "never listened:"; cat "$out"; exit 1; }

key=$(sed -n 's/^ *api-key: *//p' "$out")
secret=$(sed -n 's/^ *api-secret: *//p' "$out")
[ -n "$key" ] && [ -n "$secret" ] || { echo "no generated credentials printed:"; cat "$out"; exit 1; }

curl -fsS http://127.0.0.1:7880/healthz | grep -q '"status":"ok"'
# The documented REST call, with the printed credentials.
room=$(curl -fsS -u "$key:$secret" -d UniqueName=standup http://127.0.0.1:7880/v1/Rooms)
echo "$room" | grep -q '"unique_name":"standup"'
echo "$room" | grep -q '"status":"in-progress"'
# Wrong secret is refused.
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$key:wrong" http://127.0.0.1:7880/v1/Rooms)
[ "$code" = 401 ]
# The demo page and its dev token endpoint are on.
curl -fsS http://127.0.0.1:7880/ | grep -qi '<html'
curl -fsS 'http://127.0.0.1:7880/dev/token?identity=alice&room=standup' | grep -q '"token"'

# A secret never appears again after the one announcement.
[ "$(grep -c "$secret" "$out")" = 1 ]

kill -TERM -- "-$pid"
wait "$pid" || true
pid=
echo "quickstart: OK"
