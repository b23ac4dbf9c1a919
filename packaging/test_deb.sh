#!/usr/bin/env bash
# The Debian package on a clean Debian 12 (`make test-package`, and a CI step): a minimal root
# made with debootstrap from Debian's mirror, the package installed there by
# `apt-get install ./qecpipe_*.deb` (which must pull in every runtime dependency through its
# Depends), then, as an ordinary user in that root: qecpipe --version, the man pages, and the
# quickstart on 2 MPI ranks with its report, from the user's home directory.
#   packaging/test_deb.sh build-package/qecpipe_VERSION_amd64.deb
# Needs root (debootstrap, chroot, mounts) and the Debian mirror (QECPIPE_DEB_MIRROR, default
# deb.debian.org); a few minutes, mostly downloads.
set -euo pipefail
deb=$(readlink -f "${1:?usage: test_deb.sh QECPIPE.deb}")
mirror=${QECPIPE_DEB_MIRROR:-http://deb.debian.org/debian}
command -v debootstrap > /dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap > /dev/null
root=$(mktemp -d /tmp/qecpipe-deb-root.XXXXXX)
chmod 755 "$root"  # apt downloads as the _apt user
cleanup() {
  local m _
  for m in dev/shm sys proc; do
    for _ in 1 2 3 4 5; do  # processes of the test may still be exiting
      mountpoint -q "$root/$m" || break
      umount "$root/$m" 2> /dev/null || sleep 1
    done
  done
  if grep -q " $root/" /proc/mounts; then
    echo "test_deb.sh: left $root in place: something is still mounted under it" >&2
  else
    rm -rf --one-file-system "$root"
  fi
}
trap cleanup EXIT
t0=$(date +%s)
step() { echo "== $* ($(( $(date +%s) - t0 )) s)"; }

step "debootstrap --variant=minbase bookworm $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.log" 2>&1 || { tail -20 "$root.log"; exit 1; }
rm -f "$root.log"
# debootstrap leaves static device nodes in $root/dev; Open MPI needs /proc, /sys (hwloc) and a
# shared-memory /dev/shm, each a fresh mount (nothing of the host's /dev is bound in).
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

step "apt-get install ./$(basename "$deb") in the fresh root"
in_root apt-get update -qq
in_root apt-get install -y -qq "/tmp/$(basename "$deb")" > "$root/tmp/apt.log" 2>&1 ||
  { tail -20 "$root/tmp/apt.log"; exit 1; }
in_root dpkg -s qecpipe | grep -E '^(Version|Depends|Recommends):'

step "as a user: qecpipe --version, man pages, the quickstart on 2 ranks, the report"
in_root useradd -m qpuser
# shellcheck disable=SC2016  # the script below runs inside the root, expanded there
chroot --userspec=qpuser:qpuser "$root" /usr/bin/env -i HOME=/home/qpuser PATH=/usr/bin:/bin \
  OMPI_MCA_btl='^openib,ofi' OMPI_MCA_pml='^ucx' OMPI_MCA_osc='^ucx' /bin/bash -euo pipefail -c '
    cd "$HOME"
    command -v qecpipe
    qecpipe --version
    for c in $(qecpipe --help | sed -n "/^Commands:/,/^\$/s/^  \([a-z][a-z-]*\) .*/\1/p"); do
      test -s "/usr/share/man/man1/qecpipe-$c.1" || { echo "no man page for $c"; exit 1; }
    done
    test -s /usr/share/bash-completion/completions/qecpipe
    mpirun -n 2 --oversubscribe qecpipe run quickstart
    qecpipe report quickstart.h5 --csv quickstart.csv --plots quickstart > /dev/null
    ls -l quickstart.h5 quickstart.csv quickstart_*.png
    test "$(tail -n +2 quickstart.csv | wc -l)" -eq 29'
step "the package installed into a fresh Debian 12 root and ran the quickstart"
