#!/bin/sh
# The end-to-end tests drive real programs: Debian's Chromium (the person approving), tmux (a real
# terminal), a private D-Bus session with gnome-keyring (the OS keyring), and Claude Code itself.
# Installs what is missing when it can (root with apt), and otherwise stops with the command to run.
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
command -v dbus-daemon >/dev/null 2>&1 || missing="$missing dbus"
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing="$missing gnome-keyring"
# The real Claude Code runs in a loopback-only network namespace with a throwaway TLS CA.
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
command -v nsenter >/dev/null 2>&1 || missing="$missing util-linux"
# Codex's auth.json.lock is an flock(2) lock; authkeep takes it through util-linux's flock(1).
command -v flock >/dev/null 2>&1 || missing="$missing util-linux"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
# A second sshd on a loopback port for the hand-off and agent-forwarding tests (never the system's).
[ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
# systemd-analyze verifies the user unit `keepalive install` writes (systemd itself does not run here).
command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
# The linux-arm64 single executable runs under user-mode emulation, on Debian's arm64 C/C++ runtimes.
command -v qemu-aarch64-static >/dev/null 2>&1 || missing="$missing qemu-user-static"
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || missing="$missing libc6-arm64-cross"
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || missing="$missing libstdc++6-arm64-cross"
# Fleet tests: Debian's etcd as a 3-member cluster on loopback ports, run unprivileged by the tests.
[ -x /usr/bin/etcd ] || missing="$missing etcd-server"
command -v etcdctl >/dev/null 2>&1 || missing="$missing etcd-client"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Packages such as etcd-server start a system service on install; the tests run their own, so none is
  # started (Debian's policy-rc.d protocol), unless this machine already has a policy of its own.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
  fi
  # shellcheck disable=SC2086
  apt-get install -y -qq $missing >/dev/null || { [ -n "$policy" ] && rm -f "$policy"; exit 1; }
  [ -n "$policy" ] && rm -f "$policy"
  exit 0
fi
echo "system-deps: the tests need$missing; run: sudo apt-get install -y$missing" >&2
exit 1
