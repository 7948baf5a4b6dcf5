# Sourced by .ci/run (and by hand: `. .ci/s3-server.sh`): installs s3rver,
# a real S3 protocol server over HTTP written for tests, into a cache
# directory, starts it on a free loopback port with a fresh data
# directory and one bucket, and exports what the object storage tests
# read:
#
#   CXKPI_TEST_S3_ENDPOINT  http://127.0.0.1:PORT
#   CXKPI_TEST_S3_BUCKET    the bucket made at start
#
# s3rver is installed once into CXKPI_S3RVER_HOME (default
# ~/.cache/cxkpi-s3rver-VERSION). The server stops when the shell that
# sourced this file exits. s3rver
# accepts the access key S3RVER with the secret S3RVER; the tests set
# them in their own environment.

s3rver_version=3.7.1
s3rver_home=${CXKPI_S3RVER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/cxkpi-s3rver-$s3rver_version}
if [ ! -f "$s3rver_home/node_modules/s3rver/bin/s3rver.js" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  mkdir -p "$s3rver_home"
  npm install --prefix "$s3rver_home" --no-audit --no-fund --silent "s3rver@$s3rver_version" >/dev/null
fi

s3rver_data=$(mktemp -d)
s3rver_log="$s3rver_data.log"
CXKPI_TEST_S3_BUCKET=cxkpi-test
node "$s3rver_home/node_modules/s3rver/bin/s3rver.js" --directory "$s3rver_data" \
  --address 127.0.0.1 --port 0 --silent --configure-bucket "$CXKPI_TEST_S3_BUCKET" >"$s3rver_log" 2>&1 &
s3rver_pid=$!
# Added to what an earlier script set to run at exit.
cxkpi_exit="${cxkpi_exit:-}kill $s3rver_pid 2>/dev/null; rm -rf '$s3rver_data' '$s3rver_log'; "
trap "$cxkpi_exit" EXIT

# It prints "S3rver listening on 127.0.0.1:PORT" once it accepts requests.
s3rver_port=
for _ in $(seq 1 100); do
  s3rver_port=$(sed -n 's/^S3rver listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$s3rver_log")
  [ -n "$s3rver_port" ] && break
  if ! kill -0 "$s3rver_pid" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if [ -z "$s3rver_port" ]; then
  echo "s3rver did not start:" >&2
  cat "$s3rver_log" >&2
  exit 1
fi
export CXKPI_TEST_S3_ENDPOINT="http://127.0.0.1:$s3rver_port"
export CXKPI_TEST_S3_BUCKET
echo "s3rver $s3rver_version at $CXKPI_TEST_S3_ENDPOINT, bucket $CXKPI_TEST_S3_BUCKET"
