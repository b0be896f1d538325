# Sourced by run.sh and bench.sh: `start_xvfb [Xvfb arguments...]` starts Xvfb on a free
# display (Xvfb finds one itself and writes its number to -displayfd once it accepts
# clients; LINKWELL_DISPLAY picks one instead), waits for that at most 30 s, checks the
# display answers, exports DISPLAY and sets xvfb_pid. The caller kills $xvfb_pid.
start_xvfb() {
  local fifo number
  fifo="$(mktemp -u)"
  mkfifo "$fifo"
  Xvfb ${LINKWELL_DISPLAY:+":$LINKWELL_DISPLAY"} -displayfd 3 -screen 0 1280x900x24 -nolisten tcp "$@" 3>"$fifo" >/dev/null 2>&1 &
  xvfb_pid=$!
  if ! read -r -t 30 number <"$fifo"; then
    rm -f "$fifo"
    echo "Xvfb did not report a display within 30 s (or exited)" >&2
    return 1
  fi
  rm -f "$fifo"
  export DISPLAY=":$number"
  if command -v xdpyinfo >/dev/null && ! xdpyinfo >/dev/null 2>&1; then
    echo "Xvfb reported display $DISPLAY but it does not answer" >&2
    return 1
  fi
}
