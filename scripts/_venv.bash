# shellcheck shell=bash
# Shared by scripts/demo and scripts/test: make sure a virtualenv with awsenv exists.
#
#   awsenv_venv EXTRA    EXTRA is "" or "[test]"; prints the venv path on stdout

say() { printf '==> %s\n' "$*" >&2; }

# Debian's python3 lacks the venv module until python3-venv is installed.
__awsenv_apt() {
    local apt=()
    if [[ $(id -u) == 0 ]]; then
        apt=(apt-get)
    elif command -v sudo >/dev/null 2>&1; then
        apt=(sudo apt-get)
    fi
    if ((${#apt[@]} == 0)) || ! command -v apt-get >/dev/null 2>&1; then
        say "please install: $*"
        return 1
    fi
    say "installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null
}

awsenv_venv() {
    local extra=$1 python=${PYTHON:-python3} venv=${AWSENV_VENV:-.venv}
    if ! command -v "$python" >/dev/null 2>&1; then
        __awsenv_apt python3 python3-venv || return 1
    fi
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
        say "awsenv needs Python 3.9 or newer ($python is older)"
        return 1
    fi
    if [[ ! -x $venv/bin/python ]]; then
        say "creating $venv"
        if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
            rm -rf "$venv"
            __awsenv_apt python3-venv || return 1
            "$python" -m venv "$venv"
        fi
    fi
    # Reinstall only when pyproject.toml (dependencies, extras) changed since the last time.
    local stamp="$venv/.awsenv-stamp$extra" want
    want=$("$venv/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())' <pyproject.toml)
    if [[ ! -f $stamp || $(<"$stamp") != "$want" ]]; then
        say "installing awsenv$extra into $venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -e ".$extra" >&2
        printf '%s\n' "$want" >"$stamp"
    fi
    printf '%s\n' "$venv"
}
