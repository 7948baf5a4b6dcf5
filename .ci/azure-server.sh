# Sourced by .ci/run (and by hand: `. .ci/azure-server.sh`): installs
# Azurite, Microsoft's emulator of Azure Storage, from npm into a cache
# directory, starts its blob service on a free loopback port with a
# fresh data directory, and exports what the object storage tests read:
#
#   CXKPI_TEST_AZURE_ENDPOINT   http://127.0.0.1:PORT
#   CXKPI_TEST_AZURE_CONTAINER  the container the tests use (they make
#                               it on first use: Azurite starts empty)
#
# Azurite is installed once into CXKPI_AZURITE_HOME (default
# ~/.cache/cxkpi-azurite-VERSION). The server stops when the shell that
# sourced this file exits. It accepts the well-known development account
# devstoreaccount1 and its published key; the tests set them in their
# own environment.

azurite_version=3.37.0
azurite_home=${CXKPI_AZURITE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/cxkpi-azurite-$azurite_version}
if [ ! -x "$azurite_home/node_modules/.bin/azurite-blob" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  mkdir -p "$azurite_home"
  npm install --prefix "$azurite_home" --no-audit --no-fund --silent "azurite@$azurite_version" >/dev/null
fi

azurite_data=$(mktemp -d)
azurite_log="$azurite_data.log"
CXKPI_TEST_AZURE_CONTAINER=cxkpi-test
"$azurite_home/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort 0 \
  --location "$azurite_data" --skipApiVersionCheck --disableTelemetry --silent >"$azurite_log" 2>&1 &
azurite_pid=$!
# Added to what an earlier script set to run at exit.
cxkpi_exit="${cxkpi_exit:-}kill $azurite_pid 2>/dev/null; rm -rf '$azurite_data' '$azurite_log'; "
trap "$cxkpi_exit" EXIT

# It prints "Azurite Blob service successfully listens on
# http://127.0.0.1:PORT" once it accepts requests.
azurite_port=
for _ in $(seq 1 150); do
  azurite_port=$(sed -n 's|^Azurite Blob service successfully listens on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$azurite_log")
  [ -n "$azurite_port" ] && break
  if ! kill -0 "$azurite_pid" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if [ -z "$azurite_port" ]; then
  echo "Azurite did not start:" >&2
  cat "$azurite_log" >&2
  exit 1
fi
export CXKPI_TEST_AZURE_ENDPOINT="http://127.0.0.1:$azurite_port"
export CXKPI_TEST_AZURE_CONTAINER
echo "Azurite $azurite_version at $CXKPI_TEST_AZURE_ENDPOINT, container $CXKPI_TEST_AZURE_CONTAINER"
