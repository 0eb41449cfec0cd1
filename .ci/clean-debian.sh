#!/usr/bin/env bash
# The README's "Install" recipe on a freshly bootstrapped Debian 12 root file system (a chroot: no container engine
# needed), from the apt packages to `make install` and the "First ten minutes" commands. Run as root:
#
#   bash .ci/clean-debian.sh [ROOT]            # ROOT defaults to /tmp/nntheory-clean-debian (made, then reused)
#   SWIFT_TOOLCHAIN=/opt/swift bash .ci/clean-debian.sh
#
# Swift comes from swift.org's installer swiftly, as the README says, when download.swift.org is reachable; on a
# machine that cannot reach it, SWIFT_TOOLCHAIN names an extracted official toolchain (the directory holding
# usr/bin/swift, what swiftly unpacks), mounted read-only into the root. The repository is cloned from this checkout;
# Swift packages come from wherever this machine's git finds github.com (its /etc/gitconfig is copied in).
set -euo pipefail
ROOT=${1:-/tmp/nntheory-clean-debian}
REPO=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "clean-debian: run as root (debootstrap and chroot)"; exit 2; }
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap

if [ ! -x "$ROOT/bin/bash" ]; then
  echo "== debootstrap bookworm (minbase) into $ROOT"
  debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian >/dev/null
fi
mounted=()
bind() { mkdir -p "$ROOT$2"; mount --bind "$1" "$ROOT$2"; mounted+=("$ROOT$2"); [ "${3:-}" = ro ] && mount -o remount,ro,bind "$ROOT$2"; true; }
cleanup() { for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -l "${mounted[i]}" || true; done; }
trap cleanup EXIT
mountpoint -q "$ROOT/proc" || { mount -t proc proc "$ROOT/proc"; mounted+=("$ROOT/proc"); }
mountpoint -q "$ROOT/dev" || { mount --rbind /dev "$ROOT/dev"; mounted+=("$ROOT/dev"); }
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# This machine's network, not the recipe: its local certificate authorities (an intercepting proxy) and pip.conf.
mkdir -p "$ROOT/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$ROOT/etc/pip.conf"
[ -f /etc/gitconfig ] && grep -v -e '^\[credential' -e 'helper = ' /etc/gitconfig > "$ROOT/etc/gitconfig"
while read -r dir; do [ -d "$dir" ] && bind "$dir" "$dir" ro; done < <(git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null \
  | sed -E 's/^url\.(.*)\.insteadof .*/\1/' | sort -u | grep '^/')
bind "$REPO" /mnt/origin ro
SWIFT_PATH=/root/.local/share/swiftly/bin
if [ -n "${SWIFT_TOOLCHAIN:-}" ]; then bind "$SWIFT_TOOLCHAIN" /opt/swift ro; SWIFT_PATH=/opt/swift/usr/bin; fi

run() { echo "== $*"; chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
  PATH="/root/.local/bin:$SWIFT_PATH:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" bash -c "$*"; }

# README § Install: the packages the Swift toolchain needs on Debian 12, and git, make, python3.
run "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(sed -n 's/^sudo apt-get install -y //p' "$REPO/README.md" | head -1) >/dev/null"
if [ -z "${SWIFT_TOOLCHAIN:-}" ]; then
  run 'cd /tmp && curl -fsSO "https://download.swift.org/swiftly/linux/swiftly-$(uname -m).tar.gz" && tar zxf swiftly-$(uname -m).tar.gz && ./swiftly init --assume-yes --quiet-shell-followup'
fi
run 'command -v update-ca-certificates >/dev/null && update-ca-certificates >/dev/null 2>&1; swift --version'
run 'rm -rf /root/nntheory && git clone -q /mnt/origin /root/nntheory && cd /root/nntheory && git log --oneline -1'
run 'cd /root/nntheory && make install'
run 'nntheory --version && ls /root/.local/share/man/man1/nntheory.flow.torus.1 /root/.local/share/bash-completion/completions/nntheory /root/.local/share/zsh/site-functions/_nntheory'
# README § First ten minutes, the commands as printed there.
sed -n 's/^| [A-Za-z]* | `\(nntheory [^`]*\)` |.*/\1/p' "$REPO/README.md" | while read -r cmd; do
  run "mkdir -p /root/first && cd /root/first && $cmd 2>&1 | tail -4"
done
# README § Install: the Python companion in a virtual environment (Debian's Python refuses a system-wide pip).
run "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(sed -n 's/^sudo apt-get install -y \(python3-venv.*\)/\1/p' "$REPO/README.md") >/dev/null \
  && python3 -m venv --system-site-packages /root/venv && /root/venv/bin/pip install -q /root/nntheory/python \
  && cd /root/first && MPLBACKEND=Agg /root/venv/bin/python -c \"import nntheory; r = nntheory.load('ricci'); print(r.command, sorted(r.arrays)); nntheory.plot(r, 'lambda.svg').figure.savefig('lambda.pdf'); print('lambda.pdf written')\""
echo "== clean-debian: the install recipe ran through"
