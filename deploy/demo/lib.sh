# Helpers of scripts/demo.sh (sourced, bash): free loopback ports, config
# rendering, background processes it starts and always stops, waits with a
# deadline. Everything it starts is recorded by pid and stopped by pid.

demo_pids=()   # pids of the processes the demo started, in start order
demo_names=()  # their names, for messages
demo_ports=()  # ports handed out already (two picks never collide)
demo_sigs=()   # the signal that asks each one to stop cleanly

# Sets variable VAR to a port on 127.0.0.1 that nothing listens on or is
# bound to, TCP or UDP, from the IANA dynamic range; never one it handed out
# before (so it runs in this shell, not in $(...)). usage: demo_free_port VAR
# ss (iproute2) lists the sockets; no port is bound here, so a process of
# someone else could take it between the pick and the bind: the start of
# each component fails loudly then and the demo can simply be run again.
demo_free_port() {
  local var=$1 used p tries
  used=" $(ss -Hantu 2>/dev/null | awk '{ n = split($5, a, ":"); print a[n] }' | sort -u | tr '\n' ' ') "
  for tries in $(seq 200); do
    p=$((49152 + RANDOM % 16000))
    case "$used ${demo_ports[*]} " in
      *" $p "*) continue ;;
    esac
    demo_ports+=("$p")
    printf -v "$var" '%s' "$p"
    return 0
  done
  echo "demo: no free port found after $tries tries" >&2
  return 1
}

# Renders a template: every @KEY@ replaced by the value of the shell
# variable KEY (which must be set). usage: demo_render TEMPLATE OUT KEY...
demo_render() {
  local in=$1 out=$2 key expr=()
  shift 2
  for key in "$@"; do
    expr+=(-e "s|@${key}@|${!key}|g")
  done
  sed "${expr[@]}" "$in" >"$out"
  if grep -q '@[A-Z_]*@' "$out"; then
    echo "demo: $out still has placeholders: $(grep -o '@[A-Z_]*@' "$out" | sort -u | tr '\n' ' ')" >&2
    return 1
  fi
}

# Starts a program in the background with its output in LOG; it is asked
# to stop with SIGTERM, or with the signal in DEMO_STOP_SIGNAL (nats-server
# exits 1 on SIGTERM and 0 on SIGINT, both after a clean shutdown). With
# DEMO_STDOUT set, standard output goes to that file instead.
# usage: [DEMO_STOP_SIGNAL=INT] [DEMO_STDOUT=FILE] demo_start NAME LOG PROGRAM ARGS...
demo_start() {
  local name=$1 log=$2
  shift 2
  "$@" >>"${DEMO_STDOUT:-$log}" 2>>"$log" &
  demo_pids+=("$!")
  demo_names+=("$name")
  demo_sigs+=("${DEMO_STOP_SIGNAL:-TERM}")
}

# The pid of a started process by name.
demo_pid() {
  local i
  for i in "${!demo_names[@]}"; do
    if [ "${demo_names[$i]}" = "$1" ]; then
      echo "${demo_pids[$i]}"
      return 0
    fi
  done
  return 1
}

# True while the named process runs.
demo_alive() {
  local pid
  pid=$(demo_pid "$1") && kill -0 "$pid" 2>/dev/null
}

# Stops one started process: its stop signal, up to 10 s for a clean exit, then
# SIGKILL. Prints a warning when it had to kill or it had exited with an
# error before.
demo_stop_one() {
  local pid=$1 name=$2 sig=$3 i rc=0
  if kill -0 "$pid" 2>/dev/null; then
    kill -"$sig" "$pid" 2>/dev/null || true
    for i in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "demo: $name (pid $pid) did not stop in 10 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || rc=$?
  # 128 + n = ended by our signal n (programs that do not trap it)
  if [ "$rc" -ne 0 ] && [ "$rc" -ne $((128 + $(kill -l "$sig"))) ]; then
    echo "demo: $name exited with status $rc" >&2
  fi
}

# Stops everything the demo started, newest first (nodes before central,
# central before NATS), each by its pid.
demo_stop_all() {
  local i
  for ((i = ${#demo_pids[@]} - 1; i >= 0; i--)); do
    demo_stop_one "${demo_pids[$i]}" "${demo_names[$i]}" "${demo_sigs[$i]}"
  done
  demo_pids=()
  demo_names=()
  demo_sigs=()
}

# Stops the named process like demo_stop_all does and forgets it.
demo_stop_name() {
  local i
  for i in "${!demo_names[@]}"; do
    if [ "${demo_names[$i]}" = "$1" ]; then
      demo_stop_one "${demo_pids[$i]}" "${demo_names[$i]}" "${demo_sigs[$i]}"
      demo_forget "$1"
      return 0
    fi
  done
  return 1
}

# Forgets the named process once it has exited (reaped here), so the name
# can be started again; the three arrays stay aligned and dense.
demo_forget() {
  local i
  for i in "${!demo_names[@]}"; do
    if [ "${demo_names[$i]}" = "$1" ]; then
      wait "${demo_pids[$i]}" 2>/dev/null || true
      unset 'demo_pids[i]' 'demo_names[i]' 'demo_sigs[i]'
      demo_pids=("${demo_pids[@]}")
      demo_names=("${demo_names[@]}")
      demo_sigs=("${demo_sigs[@]}")
      return 0
    fi
  done
  return 1
}

# Waits for the named process to exit on its own; its exit status is the
# function's, and it is forgotten. usage: demo_wait_exit NAME
demo_wait_exit() {
  local pid rc=0
  pid=$(demo_pid "$1") || return 1
  wait "$pid" || rc=$?
  demo_forget "$1"
  return "$rc"
}

# One request to the JetStream API of the nats-server on 127.0.0.1:PORT,
# over the NATS text protocol (bash /dev/tcp: no nats CLI needed); prints
# the one-line JSON answer. usage: demo_js_api PORT SUBJECT [JSON]
demo_js_api() {
  local port=$1 subj=$2 body=${3:-} fd line answer rc=1
  exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
  if IFS= read -r -t 5 line <&"$fd"; then # the server's INFO
    printf 'CONNECT {"verbose":false,"pedantic":false}\r\nSUB _INBOX.demo 1\r\nPUB %s _INBOX.demo %d\r\n%s\r\n' \
      "$subj" "${#body}" "$body" >&"$fd"
    while IFS= read -r -t 5 line <&"$fd"; do
      case $line in
        MSG\ *)
          IFS= read -r -t 5 answer <&"$fd" && printf '%s\n' "${answer%$'\r'}" && rc=0
          break ;;
        PING*) printf 'PONG\r\n' >&"$fd" ;;
        -ERR*) echo "demo: nats-server: ${line%$'\r'}" >&2; break ;;
      esac
    done
  fi
  exec {fd}<&-
  return "$rc"
}

# Waits until COMMAND succeeds, at most SECONDS; fails early when the named
# process dies. usage: demo_wait_for SECONDS NAME WHAT COMMAND...
demo_wait_for() {
  local secs=$1 name=$2 what=$3 deadline
  shift 3
  deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$name" ] && ! demo_alive "$name"; then
      echo "demo: $name exited while waiting for $what" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "demo: timed out after ${secs}s waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
}

# True when a TCP port on 127.0.0.1 accepts connections (bash /dev/tcp).
demo_tcp_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
