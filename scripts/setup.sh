#!/usr/bin/env bash
# Installs everything Frontdesk needs to build, run and test on Debian/Ubuntu.
# Idempotent: a second run installs nothing.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_all
say "setup done"
