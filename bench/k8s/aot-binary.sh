# Sourced by the bench/k8s scripts: `aot_binary VAR DIR` leaves VAR naming the executable the bench runs.
# VAR=jit: unset (the test runs `dotnet bgplb.dll`); VAR set: kept; otherwise the Native AOT bgplb, as operators
# run it, is published into DIR. A failed publish prints its log and stops the bench (it used to die silently).
aot_binary() {
  local var=$1 dir=$2
  if [ "${!var:-}" = jit ]; then
    unset "$var"
  elif [ -z "${!var:-}" ]; then
    mkdir -p "$dir"
    if ! dotnet publish src/Daemon -c Release -r linux-x64 -p:PublishAot=true -o "$dir" -nologo -v quiet >"$dir.publish.log" 2>&1; then
      echo "$0: dotnet publish src/Daemon (Native AOT) failed; its output ($dir.publish.log):" >&2
      tail -n 30 "$dir.publish.log" >&2
      exit 1
    fi
    export "$var=$dir/bgplb"
  fi
}
