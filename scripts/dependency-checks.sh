# Sourced by scripts/test.sh: the dependency rules of the architecture, proved with `cargo tree`.
# `forbid CRATE X...`: CRATE must never depend on any X, directly or not (normal dependencies).
forbid() {
  local crate="$1"; shift
  local tree
  tree="$(cargo tree -p "$crate" -e normal --prefix none --locked)"
  for forbidden in "$@"; do
    if grep -qE "^$forbidden v" <<<"$tree"; then
      echo "$crate depends on $forbidden, which the architecture forbids (see ARCHITECTURE.md)" >&2
      exit 1
    fi
  done
  echo "ok: $crate has no $* dependency"
}
step "dependency rules (cargo tree)"
# The core knows nothing of Tauri or HTTP.
forbid linkwell-core tauri axum hyper reqwest ureq
# The vocabulary and validation rules are pure: no storage.
forbid linkwell-domain rusqlite
# Reports are pure functions over plain facts, so the server can feed them too.
forbid linkwell-report rusqlite linkwell-core
# The server shares only the wire contract with the laptop (the simulation's dev-dependency aside).
forbid linkwell-server linkwell-core argon2 printpdf openssl-sys
# Licences, banned crates and sources (deny.toml). Advisories are left out: their database is
# fetched from GitHub, which CI cannot reach. cargo-deny is not installed by scripts/setup.sh
# (a cold `cargo install --locked cargo-deny` took 3 min 14 s of this 2-core machine).
if command -v cargo-deny >/dev/null; then
  step "licences, bans and sources (cargo deny)"
  cargo deny --log-level error check licenses bans sources
  echo "ok: cargo deny licences, bans and sources"
else
  echo "skipped: cargo deny (not installed: cargo install --locked cargo-deny)"
fi
