#!/usr/bin/env bash
# Installs the system and Python packages StockHub needs for building and for
# the local service stack (deploy/services.sh). Safe to run repeatedly: it only
# touches what is missing and prints nothing when everything is present.
set -euo pipefail

APT_PACKAGES=(
  libhiredis-dev libcurl4-openssl-dev libpq-dev libxgboost-dev libopenblas-dev
  redis-server postgresql pkg-config
  # The dashboard's browser test drives headless Chromium through chromedriver (tests only;
  # the deployed app needs neither).
  chromium chromium-driver
)

log() { printf '%s\n' "$*"; }

apt_installed() {
  # `dpkg -s` also succeeds for removed-but-not-purged packages, so look at the
  # status line rather than the exit code alone.
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

missing_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
  apt_installed "$pkg" || missing_apt+=("$pkg")
done
# A minimal Debian image has no Python at all; only pull the Debian packages in
# when no python3/pip is usable (e.g. pyenv or a venv may already provide them).
command -v python3 >/dev/null 2>&1 || missing_apt+=(python3)
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import importlib.util as u, sys; sys.exit(u.find_spec("pip") is None)' ||
    missing_apt+=(python3-pip)
fi

if ((${#missing_apt[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing apt packages (${missing_apt[*]}); run as root" >&2
    exit 1
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_apt[@]}" >/dev/null
  for pkg in "${missing_apt[@]}"; do log "installed apt package $pkg"; done
fi

# Prints which of the given pip requirements (default: all) are missing. Each
# is paired with the modules that prove it is installed; moto's server mode
# needs flask and flask_cors, which plain `moto` lacks. Modules are located,
# not imported: `import moto.server` alone costs ~1 s, and `services.sh start`
# runs this script every time.
missing_pip() {
  python3 - "$@" <<'PY'
import importlib.util
import os
import sys

checks = {
    "moto[server]": ["moto.server", "flask", "flask_cors"],
    "boto3": ["boto3"],
    "honcho": ["honcho"],
}

def present(mod):
    # Locate "pkg.sub" by looking for the file inside pkg, because find_spec on
    # a submodule imports its parent package (and `import moto` alone is slow).
    top, _, sub = mod.partition(".")
    spec = importlib.util.find_spec(top)
    if spec is None:
        return False
    if not sub:
        return True
    return any(
        os.path.exists(os.path.join(d, sub + ".py"))
        or os.path.isdir(os.path.join(d, sub))
        for d in spec.submodule_search_locations or []
    )

for req in sys.argv[1:] or checks:
    if not all(present(m) for m in checks[req]):
        print(req)
PY
}

missing=$(missing_pip)
[[ -z "$missing" ]] && exit 0

pip_args=(-q --disable-pip-version-check)
# Root installs warn on every run without this; it exists since pip 22.1.
if python3 -m pip install --help 2>/dev/null | grep -q -- '--root-user-action'; then
  pip_args+=(--root-user-action=ignore)
fi
# Debian's own python3 is marked externally managed (PEP 668); this is a
# dedicated dev/CI machine, so installing into it is the intended outcome.
stdlib_dir=$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
if [[ -f "$stdlib_dir/EXTERNALLY-MANAGED" ]]; then
  pip_args+=(--break-system-packages)
fi

while read -r req; do
  # Re-check: an earlier install may have pulled this one in (moto -> boto3).
  [[ -n $(missing_pip "$req") ]] || continue
  python3 -m pip install "${pip_args[@]}" "$req"
  log "installed pip package $req"
done <<<"$missing"
