#!/usr/bin/env bash
# Builds filet in release mode (static Swift standard library) and installs it with the sample runbooks.
#   sudo deploy/install.sh [PREFIX]        PREFIX defaults to /usr/local
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-/usr/local}"

swift build -c release --product filet --static-swift-stdlib
binary="$(swift build -c release --product filet --static-swift-stdlib --show-bin-path)/filet"

install -d "$prefix/bin" "$prefix/share/filet/runbooks" /etc/filet/runbooks /var/lib/filet/journal
install -m 0755 "$binary" "$prefix/bin/filet"
install -m 0644 Runbooks/*.yaml "$prefix/share/filet/runbooks/"
chmod 0750 /var/lib/filet/journal

"$prefix/bin/filet" --version
"$prefix/bin/filet" validate "$prefix"/share/filet/runbooks/*.yaml
echo "filet installed in $prefix/bin; samples in $prefix/share/filet/runbooks; put your runbooks in /etc/filet/runbooks"
