# Sourced by scripts/test.sh: the dependency rules of the architecture, proved with `cargo tree`.
# Each `crate forbidden...` line says what a crate must never depend on (normal dependencies).
forbid() {
  local crate="$1"; shift
  for forbidden in "$@"; do
    if cargo tree -p "$crate" -e normal -i "$forbidden" --locked >/dev/null 2>&1; then
      echo "$crate depends on $forbidden, which the architecture forbids (see ARCHITECTURE.md)" >&2
      exit 1
    fi
  done
  echo "ok: $crate has no $* dependency"
}
step "dependency rules (cargo tree)"
# The core knows nothing of Tauri or HTTP.
forbid linkwell-core tauri axum hyper reqwest ureq
