#!/usr/bin/env bash
# Installs the Debian packages of @mlayer/adapters-tango without prompts and
# without starting services: preseeds debconf from scripts/tango-preseed.txt
# (tango-db: no dbconfig database; TANGO host), then installs the packages.
# The tests start their own MariaDB and DataBaseds on loopback.
#   sudo scripts/tango-install.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
debconf-set-selections < "$here/tango-preseed.txt"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends libtango-dev tango-db tango-test python3-tango mariadb-server pkgconf
