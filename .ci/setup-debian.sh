#!/usr/bin/env bash
# Installs what Mission Studio needs on Debian 12 and skips what is already there.
#   .ci/setup-debian.sh          what building and running the app needs
#   .ci/setup-debian.sh --test   plus what the end-to-end tests need (Xvfb, WebKitWebDriver, tauri-driver)
#                                and the servers the database step tests start privately
#                                (PostgreSQL 15, Redis, OpenSSH's sshd, pyftpdlib, NATS): installed without starting
#                                Debian's own services and without creating the default cluster
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# --- toolchains: Rust and Node are required, not installed here -----------------------------
command -v cargo >/dev/null || die "cargo is missing. Install Rust (stable) with rustup: https://rustup.rs, then run this again."
command -v node >/dev/null && command -v npm >/dev/null ||
  die "Node.js 20.19+ with npm is missing. Install it (e.g. from nodejs.org or NodeSource), then run this again."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old; Mission Studio's UI needs Node 20.19 or newer."

# --- system packages -------------------------------------------------------------------------
packages=(build-essential pkg-config libssl-dev file curl libwebkit2gtk-4.1-dev librsvg2-dev)
if [ "$want_test" = 1 ]; then
  packages+=(xvfb xauth webkit2gtk-driver dbus)
  # The code steps' tests and templates: pytest, a Python formatter and a Python linter.
  packages+=(python3-pytest black flake8)
  # The database step tests (studio-engine tests/db_steps.rs) start their own servers on
  # 127.0.0.1 with data in a temporary folder; Debian's services are never started.
  packages+=(postgresql-15 postgresql-client-15 redis-server)
  # The network step tests (tests/ssh_steps.rs) start a private sshd on a loopback port.
  packages+=(openssh-server openssh-client)
  # The FTP step tests (tests/ftp_steps.rs) start a private FTP/FTPS server on a loopback port
  # (pyftpdlib, under Debian's /usr/bin/python3) with a certificate made by `openssl`.
  packages+=(python3-pyftpdlib python3-openssl openssl)
  # The squad tests (studio-squad tests/jetstream.rs, studio-api tests/squad_status.rs, the
  # e2e tests/e2e/workers.test.mjs) start a private `nats-server -js` on a
  # loopback port with its store in a temporary folder.
  packages+=(nats-server)
  # The Spark tooling test (studio-cli tests/spark_tooling_cli.rs) screenshots the HTML mission
  # diff with a headless Chromium when one is installed.
  packages+=(chromium-headless-shell)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
    sudo="sudo"
  fi
  say "installing system packages: ${missing[*]}"
  # Server packages: no service is started (policy-rc.d answers 101, "action forbidden") and no
  # default PostgreSQL cluster is created; both settings are removed again afterwards.
  added=()
  if printf '%s\n' "${missing[@]}" | grep -qxF -e postgresql-15 -e redis-server -e openssh-server -e nats-server; then
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
      $sudo chmod 755 /usr/sbin/policy-rc.d
      added+=(/usr/sbin/policy-rc.d)
    fi
    drop_in=/etc/postgresql-common/createcluster.d/zz-mission-studio-setup.conf
    $sudo mkdir -p /etc/postgresql-common/createcluster.d
    echo 'create_main_cluster = false' | $sudo tee "$drop_in" >/dev/null
    added+=("$drop_in")
    trap '$sudo rm -f "${added[@]}"' EXIT
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "${#added[@]}" -gt 0 ]; then
    $sudo rm -f "${added[@]}"
    trap - EXIT
  fi
else
  say "system packages: all present"
fi

# --- tauri-driver (WebDriver bridge to the real app) -----------------------------------------
if [ "$want_test" = 1 ]; then
  if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    say "installing tauri-driver 2.1.0"
    cargo install tauri-driver --locked --version 2.1.0 --quiet
  else
    say "tauri-driver: present"
  fi
fi

# --- cargo-deny (licenses, duplicate versions and sources of the Rust dependencies) ----------
# Built with light optimisation and no link-time optimisation: it checks a lock file once per
# run, and its own release profile (fat LTO, one codegen unit) would add minutes to a cold CI.
if [ "$want_test" = 1 ]; then
  if ! command -v cargo-deny >/dev/null && [ ! -x "$HOME/.cargo/bin/cargo-deny" ]; then
    say "installing cargo-deny 0.20.2"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_STRIP=false \
      cargo install cargo-deny --locked --version 0.20.2 --quiet
  else
    say "cargo-deny: present"
  fi
fi

# --- npm packages ----------------------------------------------------------------------------
# `npm install` (not `npm ci`): it honours the lock file and copes with platform-only packages.
npm_install() {
  local dir=$1 stamp="$1/node_modules/.install-stamp"
  local sum
  sum=$(cat "$dir/package.json" "$dir/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    say "npm packages in $dir: up to date"
    return
  fi
  say "installing npm packages in $dir"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  echo "$sum" >"$stamp"
}
npm_install ui
[ "$want_test" = 1 ] && npm_install tests/e2e
exit 0
