# Sourced by .ci/run (and by hand: `. .ci/gcs-server.sh`): installs
# fake-gcs-server, a Google Cloud Storage emulator written in Go that
# serves the JSON API of the real service, into a cache directory,
# starts it on a free loopback port with its objects in memory and one
# bucket, and exports what the object storage tests read:
#
#   CXKPI_TEST_GCS_ENDPOINT  http://127.0.0.1:PORT
#   CXKPI_TEST_GCS_BUCKET    the bucket made at start
#
# fake-gcs-server is built once into CXKPI_FAKE_GCS_HOME (default
# ~/.cache/cxkpi-fake-gcs-server-VERSION) with go install, about a
# minute on two cores. The server stops when the shell that sourced this
# file exits. -public-host is its own address, where the storage client
# reads objects (the XML API). It takes no credentials: the tests point
# the driver at it with STORAGE_EMULATOR_HOST.

fake_gcs_version=v1.56.1
fake_gcs_home=${CXKPI_FAKE_GCS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/cxkpi-fake-gcs-server-$fake_gcs_version}
if [ ! -x "$fake_gcs_home/fake-gcs-server" ]; then
  GOBIN="$fake_gcs_home" go install "github.com/fsouza/fake-gcs-server@$fake_gcs_version"
fi

# A bucket is a directory under -data, loaded at start.
fake_gcs_data=$(mktemp -d)
fake_gcs_log="$fake_gcs_data.log"
CXKPI_TEST_GCS_BUCKET=cxkpi-test
mkdir "$fake_gcs_data/$CXKPI_TEST_GCS_BUCKET"

# fake-gcs-server does not say which port -port 0 gave it: try free
# ports until one starts and answers.
fake_gcs_port=
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    continue # in use
  fi
  "$fake_gcs_home/fake-gcs-server" -scheme http -host 127.0.0.1 -port "$port" \
    -external-url "http://127.0.0.1:$port" -public-host "127.0.0.1:$port" -backend memory -data "$fake_gcs_data" \
    -log-level warn >"$fake_gcs_log" 2>&1 &
  fake_gcs_pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      fake_gcs_port=$port
      break
    fi
    kill -0 "$fake_gcs_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$fake_gcs_port" ] && break
  kill "$fake_gcs_pid" 2>/dev/null
done
if [ -z "$fake_gcs_port" ]; then
  echo "fake-gcs-server did not start:" >&2
  cat "$fake_gcs_log" >&2
  exit 1
fi
# Added to what an earlier script set to run at exit.
cxkpi_exit="${cxkpi_exit:-}kill $fake_gcs_pid 2>/dev/null; rm -rf '$fake_gcs_data' '$fake_gcs_log'; "
trap "$cxkpi_exit" EXIT
export CXKPI_TEST_GCS_ENDPOINT="http://127.0.0.1:$fake_gcs_port"
export CXKPI_TEST_GCS_BUCKET
echo "fake-gcs-server $fake_gcs_version at $CXKPI_TEST_GCS_ENDPOINT, bucket $CXKPI_TEST_GCS_BUCKET"
