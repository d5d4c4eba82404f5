# shellcheck shell=bash
# Shared by bin/run and bin/test (sourced, not run): make .venv and install the
# project into it, skipping pip when nothing it depends on has changed.
#
# The stamp (.venv/.adloop-installed) holds one line per install:
# "<sha256 of pyproject.toml + constraints.txt> <extras>". An install is
# skipped when a line has the current hash and at least the extras asked for.

adloop_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "adloop: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

_adloop_stamp_covers() {  # stamp-file hash extras
    local stamp="$1" hash="$2" extras="$3" line_hash line_extras want ok
    [ -f "$stamp" ] || return 1
    while read -r line_hash line_extras; do
        [ "$line_hash" = "$hash" ] || continue
        ok=1
        for want in ${extras//,/ }; do
            case ",${line_extras}," in *",${want},"*) ;; *) ok=0 ;; esac
        done
        [ "$ok" = 1 ] && return 0
    done <"$stamp"
    return 1
}

_adloop_check_cpu_torch() {
    # The constraints pin torch to the local CPU build; a CUDA build drags in
    # several GB of nvidia-* packages. Refuse it rather than run on it.
    .venv/bin/python - <<'PY'
import sys
from importlib import metadata

try:
    version = metadata.version("torch")
except metadata.PackageNotFoundError:
    sys.exit(0)
cuda = sorted(
    name
    for d in metadata.distributions()
    if (name := (d.metadata["Name"] or "")).lower().startswith("nvidia-")
)
if cuda:
    sys.exit(f"adloop: torch {version} came with CUDA packages ({', '.join(cuda)}); "
             "expected the CPU build pinned in constraints.txt")
PY
}

# ensure_venv EXTRAS: .venv exists and has `-e .[EXTRAS]` installed under constraints.
ensure_venv() {
    local extras="$1" python hash stamp=.venv/.adloop-installed spec="."
    if [ ! -x .venv/bin/python ]; then
        python="$(adloop_python)"
        echo "adloop: creating .venv with $python" >&2
        "$python" -m venv .venv
    fi
    hash="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
    if _adloop_stamp_covers "$stamp" "$hash" "$extras"; then
        return 0
    fi
    [ -n "$extras" ] && spec=".[${extras}]"
    echo "adloop: installing $spec into .venv (the first time takes a few minutes)" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -c constraints.txt -e "$spec"
    case ",${extras}," in *",images,"*) _adloop_check_cpu_torch ;; esac
    {
        grep -F "$hash " "$stamp" 2>/dev/null || true
        echo "$hash $extras"
    } >"$stamp.new"
    mv "$stamp.new" "$stamp"
}
